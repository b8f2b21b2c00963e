-- reads: _lin_contra
-- produces: _lin_contra_problems
-- Problem rows (model_id, problem) 'declared_base_contradicts_config': one per child with a contradicted parent.
SELECT DISTINCT child_id AS model_id, 'declared_base_contradicts_config' AS problem FROM _lin_contra
