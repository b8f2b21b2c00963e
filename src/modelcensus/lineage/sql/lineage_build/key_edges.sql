-- reads: _lin_edges2, _lin_key
-- produces: _lin_ek
-- params: grade_rank=0
-- The structural edges on interned keys, one row per (child, parent) with the strongest grade rank
-- (grade_rank is grades.grade_rank_sql('e.grade')): the input of the root walk. No self-loops.
SELECT kc.k AS c, kp.k AS p, CAST(min(${grade_rank}) AS TINYINT) AS g
FROM _lin_edges2 e JOIN _lin_key kc ON kc.name = e.child_id JOIN _lin_key kp ON kp.name = e.parent_id
WHERE e.structural AND kc.k <> kp.k
GROUP BY kc.k, kp.k
