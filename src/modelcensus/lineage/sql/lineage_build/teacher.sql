-- reads: _lin_own_teacher, _lin_troots, _lin_key
-- produces: _lin_teacher
-- The nearest distillation teacher of every model: its own, else that of the nearest structural ancestor
-- that names one (ties: the nearer, then the first teacher id).
SELECT model_id, teacher_id, evidence FROM _lin_own_teacher
UNION ALL
SELECT kc.name, t.teacher_id, t.evidence
FROM _lin_troots r JOIN _lin_key kc ON kc.k = r.c JOIN _lin_key kp ON kp.k = r.p
JOIN _lin_own_teacher t ON t.model_id = kp.name
ANTI JOIN _lin_own_teacher o ON o.model_id = kc.name
QUALIFY row_number() OVER (PARTITION BY kc.name ORDER BY r.d, t.teacher_id) = 1
