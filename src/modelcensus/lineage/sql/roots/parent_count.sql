-- reads: _rt_e
-- produces: _rt_k
-- params: edges=_rt_e
-- One pass over the edges: each child's parent count k and, for single-parent children, that parent.
-- min, not any_value: the same row on every engine (only single-parent rows' p and g are read)
SELECT c, CAST(count(*) AS INTEGER) AS k, min(p) AS p, CAST(min(g) AS TINYINT) AS g
FROM ${edges}
GROUP BY c
