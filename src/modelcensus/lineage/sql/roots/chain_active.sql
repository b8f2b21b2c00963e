-- reads: _rt_cn
-- produces: _rt_ca
-- Chain nodes that jump: the loop state of roots_chain_jump.
SELECT c, n, d, g, f, fin FROM _rt_cn WHERE NOT fin
