-- reads: _lin_roots, _lin_key, _lin_m, _lin_edges2, _lin_problems
-- produces: _lin_r
-- params: weakest=5
-- Every model's roots by id. A model that is its own root: nothing was inferred (grade declared), unless
-- what it declared was invalid or contradicted: then its lineage is unknown, and says so with the weakest
-- grade (weakest). Referenced-only nodes (dangling parents) get no row: origin() answers for them.
SELECT kc.name AS model_id, kr.name AS root_id, r.w AS weight, r.d AS depth, r.g AS g, r.f AS cyc
FROM _lin_roots r JOIN _lin_key kc ON kc.k = r.c JOIN _lin_key kr ON kr.k = r.p
SEMI JOIN _lin_m m ON m.id = kc.name
UNION ALL
SELECT m.id, m.id, 1.0, 0, CASE WHEN p.model_id IS NOT NULL THEN ${weakest} ELSE 0 END, FALSE FROM _lin_m m
ANTI JOIN (SELECT DISTINCT child_id FROM _lin_edges2 WHERE structural) e ON e.child_id = m.id
LEFT JOIN (SELECT DISTINCT model_id FROM _lin_problems
           WHERE problem IN ('invalid_declaration', 'declared_base_contradicts_config')) p
  ON p.model_id = m.id
