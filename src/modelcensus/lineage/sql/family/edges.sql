-- reads: _lin_fam_placed, _lin_series
-- produces: _lin_fam_edges
-- Tier 3's edges: a model the distill series places (series.sql) takes that edge instead of its family one.
SELECT p.* FROM _lin_fam_placed p
ANTI JOIN (SELECT child_id FROM _lin_series) s ON s.child_id = p.child_id
UNION ALL
SELECT child_id, parent_id, relation, inferred, grade, evidence, tier, kind_rank FROM _lin_series
