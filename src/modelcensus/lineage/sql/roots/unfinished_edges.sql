-- reads: _rt_e, _rt_u
-- produces: _rt_eu
-- params: edges=_rt_e
-- The (small) subgraph of edges between unfinished nodes, where the cycle search runs.
SELECT c, p FROM ${edges}
WHERE c IN (SELECT c FROM _rt_u) AND p IN (SELECT c FROM _rt_u)
