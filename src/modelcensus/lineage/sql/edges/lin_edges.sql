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
)
SELECT DISTINCT ON (a.child_id, a.parent_id, a.relation)
       a.child_id, a.parent_id, a.relation, a.inferred, a.grade, a.evidence,
       (a.tier = b.tier AND a.kind_rank = k.kind_rank) AS structural, a.tier
FROM _lin_all a
LEFT JOIN best b ON a.child_id = b.child_id
LEFT JOIN best_kind k ON a.child_id = k.child_id
ORDER BY a.child_id, a.parent_id, a.relation, a.tier, a.kind_rank
