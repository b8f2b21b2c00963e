-- reads: _rt_cn
-- produces: _rt_cd
-- Chain nodes whose parent is already a stop (most of them): finished before any jump, never rewritten.
SELECT c, n, d, g, f FROM _rt_cn WHERE fin
