-- reads: _lin_all
-- produces: _lin_edges
-- One row per (child, parent, relation), from its strongest tier and kind. A model's root walk follows its
-- strongest tier only, and inside tier 2 only its strongest kind: those edges are `structural`.
WITH best AS (
    SELECT child_id, min(tier) AS tier FROM _lin_all WHERE tier < 9 GROUP BY child_id
),
best_kind AS (
    SELECT a.child_id, min(a.kind_rank) AS kind_rank FROM _lin_all a
    JOIN best b ON a.child_id = b.child_id AND a.tier = b.tier GROUP BY a.child_id
),
-- one row per (child, parent, relation): the strongest tier and kind, then the first by inferred, grade and
-- evidence, so a tie has one answer on every run and engine (a hash aggregate: DISTINCT ON ... ORDER BY sorted
-- all 1.25M rows, 7.3 s against 4.2 s for this on 1M synthetic models, same rows). The key has no NULL field
-- (NULLs last, as ORDER BY put them): DuckDB orders a NULL field of a struct last and Spark first. Only the keys
-- with several rows go through that aggregate: over all of them it was 3.4-5.8 s at 2.2M models, 2.2-2.9 s so
keyed AS (   -- most keys have one row (2.2M synthetic models: 6,336 of 2.68M have more): it is their answer
    SELECT child_id, parent_id, relation, count(*) AS n,
           any_value(struct_pack(inferred, grade, evidence, tier, kind_rank)) AS w
    FROM _lin_all GROUP BY child_id, parent_id, relation
),
tied AS (
    SELECT a.child_id, a.parent_id, a.relation,
           arg_min(struct_pack(a.inferred, a.grade, a.evidence, a.tier, a.kind_rank),
                   struct_pack(t0 := a.tier IS NULL, t := coalesce(a.tier, 0),
                               k0 := a.kind_rank IS NULL, k := coalesce(a.kind_rank, 0),
                               i0 := a.inferred IS NULL, i := coalesce(a.inferred, FALSE),
                               g0 := a.grade IS NULL, g := coalesce(a.grade, ''),
                               e0 := a.evidence IS NULL, e := coalesce(a.evidence, ''))) AS w
    FROM _lin_all a
    SEMI JOIN (SELECT child_id, parent_id, relation FROM keyed WHERE n > 1) d
      ON a.child_id IS NOT DISTINCT FROM d.child_id AND a.parent_id IS NOT DISTINCT FROM d.parent_id
     AND a.relation IS NOT DISTINCT FROM d.relation   -- a NULL is one key, as in the GROUP BY (review23 R23-2)
    GROUP BY a.child_id, a.parent_id, a.relation
),
one AS (
    SELECT child_id, parent_id, relation, w FROM keyed WHERE n = 1
    UNION ALL
    SELECT child_id, parent_id, relation, w FROM tied
)
SELECT a.child_id, a.parent_id, a.relation, a.w.inferred AS inferred, a.w.grade AS grade,
       a.w.evidence AS evidence, (a.w.tier = b.tier AND a.w.kind_rank = k.kind_rank) AS structural,
       a.w.tier AS tier
FROM one a
LEFT JOIN best b ON a.child_id = b.child_id
LEFT JOIN best_kind k ON a.child_id = k.child_id
