-- reads: _rt_e
-- produces: _rt_k
-- params: edges=_rt_e
-- One pass over the edges: each child's parent count k and, for single-parent children, that parent.
SELECT c, CAST(count(*) AS INTEGER) AS k, any_value(p) AS p, CAST(any_value(g) AS TINYINT) AS g
FROM ${edges}
GROUP BY c
