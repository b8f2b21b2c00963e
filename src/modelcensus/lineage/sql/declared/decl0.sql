-- reads: _lin_decl_res, _lin_m
-- produces: _lin_decl0
-- The valid declared edges of the strongest source per child, with their relation, grade and evidence,
-- before the config check (decl.sql grades the contradicted ones).
WITH d AS (
    -- a parent the snapshot lacks keeps its declared id (a legacy alias: today's id)
    SELECT c.id AS child, coalesce(r.resolved, r.canonical_id, r.parent_id) AS parent,
           r.resolved IS NOT NULL AS present,
           r.relation, r.src_rank, r.source
    FROM _lin_decl_res r JOIN _lin_m c ON c.id = r.child_id
    WHERE r.valid AND lower(coalesce(r.resolved, r.canonical_id, r.parent_id)) <> c.id_lower
),
pair AS (   -- one row per declared (child, parent): what each source rank (0, 1 or 2: decl_raw) says of it
    SELECT child, parent, min(src_rank) AS src_rank,
           bool_or(present) FILTER (WHERE src_rank = 0) AS p0,
           bool_or(present) FILTER (WHERE src_rank = 1) AS p1,
           bool_or(present) FILTER (WHERE src_rank = 2) AS p2,
           bool_or(source = 'hub') FILTER (WHERE src_rank = 1) AS by_hub,      -- else a tag with a relation
           bool_or(source = 'gguf') FILTER (WHERE src_rank = 2) AS by_gguf,    -- else a plain tag
           min(relation) FILTER (WHERE src_rank = 0) AS card_rel,
           min(relation) FILTER (WHERE src_rank > 0) AS rel    -- the Hub's or a tag's
    FROM d GROUP BY child, parent
),
per_child AS (
    SELECT child, min(src_rank) AS tier_rank, min(card_rel) AS card_rel, min(rel) AS hub_rel
    FROM pair GROUP BY child
),
chosen AS (   -- the parents of the strongest source only (no spurious merges of spellings)
    SELECT p.child, p.parent, p.src_rank, p.rel, k.card_rel, k.hub_rel, p.by_hub, p.by_gguf,
           CASE p.src_rank WHEN 0 THEN p.p0 WHEN 1 THEN p.p1 WHEN 2 THEN p.p2 END AS present,
           count(*) OVER (PARTITION BY p.child) AS k
    FROM pair p JOIN per_child k ON k.child = p.child AND k.tier_rank = p.src_rank
)
SELECT c.child AS child_id, c.parent AS parent_id, c.present,
       coalesce(c.card_rel, c.rel, c.hub_rel,
                CASE WHEN c.k >= 2 THEN 'merge' END,
                CASE WHEN ${quant_tag_m}  -- names.QUANT_TAGS
                       OR m.base_name <> m.name_lower
                       OR m.has_quant THEN 'quantized'
                     WHEN list_contains(m.files, 'adapter_config.json') OR m.library_name = 'peft'
                       OR list_contains(m.tags, 'peft') THEN 'adapter' END,
                'finetune') AS relation,
       FALSE AS inferred,
       ['declared', 'hub', 'tag'][c.src_rank + 1] AS grade,
       CASE c.src_rank WHEN 0 THEN 'card base_model'
                       WHEN 1 THEN CASE WHEN c.by_hub THEN 'Hub baseModels'
                                        ELSE 'Hub tag base_model:<relation>' END
                       ELSE CASE WHEN c.by_gguf THEN 'GGUF general.base_model'
                                 ELSE 'tag base_model' END END
       || CASE WHEN c.card_rel IS NULL AND c.rel IS NULL AND c.hub_rel IS NULL
               THEN CASE WHEN c.k >= 2 THEN '; relation: several parents'
                         ELSE '; relation not declared' END ELSE '' END
       || CASE WHEN NOT c.present THEN '; parent not in snapshot' ELSE '' END AS evidence
FROM chosen c
JOIN _lin_m m ON m.id = c.child
