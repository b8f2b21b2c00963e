-- reads: _rt_eu, _rt_reach
-- produces: _rt_cy_new
-- Edges inside a cycle: those among unfinished nodes whose parent reaches their child.
SELECT e.c, e.p FROM _rt_eu e SEMI JOIN _rt_reach r ON r.s = e.p AND r.t = e.c
