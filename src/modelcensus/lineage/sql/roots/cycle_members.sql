-- reads: _rt_cyc
-- produces: _rt_fl
-- Members of a broken cycle: their rows (and those of every model whose path passes through one) are flagged.
SELECT DISTINCT c FROM _rt_cyc
