-- reads: _rt_e, _rt_cyc
-- produces: _rt_e
-- params: edges=_rt_e
-- The edges without the cycle edges, for the second resolution.
SELECT c, p, g FROM ${edges} e ANTI JOIN _rt_cyc x ON x.c = e.c AND x.p = e.p
