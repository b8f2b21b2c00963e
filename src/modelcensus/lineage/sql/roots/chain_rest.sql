-- reads: _rt_ca
-- produces: _rt_cx
-- Chain nodes still unfinished after the first jump: the loop state of roots_chain_jump (few rows, so the
-- rounds do not carry the many rows the first jump finished).
SELECT c, n, 2 AS d, g, f, fin FROM _rt_ca WHERE NOT fin
