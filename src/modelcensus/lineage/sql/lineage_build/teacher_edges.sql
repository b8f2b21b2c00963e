-- reads: _lin_ek, _lin_own_teacher, _lin_key
-- produces: _lin_tk
-- The structural edges without those of models that name their own teacher: the root walk over them
-- stops at the nearest ancestor with a teacher.
SELECT e.c, e.p, e.g FROM _lin_ek e
ANTI JOIN (SELECT k.k FROM _lin_own_teacher t JOIN _lin_key k ON k.name = t.model_id) s ON s.k = e.c
