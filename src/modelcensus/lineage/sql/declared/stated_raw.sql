-- reads: _lin_stated_nodes, reg_stated
-- produces: _lin_stated_raw
-- The bases the stated-bases list names for those models, with the list's evidence (resolved next).
SELECT n.id AS child_id, s.base_id, s.evidence FROM _lin_stated_nodes n
JOIN reg_stated s ON s.model_id_lower = n.id_lower
