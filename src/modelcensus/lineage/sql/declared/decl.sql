-- reads: _lin_decl0, _lin_contra
-- produces: _lin_decl
-- Tier 1 declared edges (child_id, parent_id, relation, inferred, grade, evidence, tier, present); an edge the
-- config contradicts is kept for display only (tier 9) and says why in its evidence.
SELECT d.child_id, d.parent_id, d.relation, d.inferred, d.grade,
       d.evidence || CASE WHEN x.child_id IS NOT NULL THEN '; contradicted by the config (' || x.why
                          || '): not followed, recorded as the likely teacher' ELSE '' END AS evidence,
       CASE WHEN x.child_id IS NOT NULL THEN 9 ELSE 1 END AS tier, d.present
FROM _lin_decl0 d LEFT JOIN _lin_contra x ON x.child_id = d.child_id AND x.parent_id = d.parent_id
