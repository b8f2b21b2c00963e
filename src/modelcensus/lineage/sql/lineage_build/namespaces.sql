-- reads: _lin_r, _lin_teacher, reg_model_aliases
-- produces: _lin_ns
-- The namespace of every model, root and teacher an origin names (an id without one: its registry alias's).
SELECT m.id AS model_id,
       coalesce(CASE WHEN contains(m.id, '/') THEN split_part(m.id, '/', 1) END,
                split_part(a.canonical_id, '/', 1)) AS namespace
FROM (SELECT DISTINCT model_id AS id FROM _lin_r UNION SELECT DISTINCT root_id FROM _lin_r
      UNION SELECT DISTINCT teacher_id FROM _lin_teacher) m
LEFT JOIN reg_model_aliases a ON a.model_id_lower = lower(m.id)
