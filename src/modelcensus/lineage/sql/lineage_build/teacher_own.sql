-- reads: _lin_own_teacher
-- produces: _lin_teacher
-- No model names a teacher of its own: nobody inherits one either (the ancestor walk is skipped).
SELECT model_id, teacher_id, evidence FROM _lin_own_teacher
