-- reads: _rt_e
-- produces: _rt_cyc
-- params: key_type=INTEGER edges=_rt_e
-- No cycle edges yet (typed as the output's keys).
SELECT CAST(c AS ${key_type}) AS c, CAST(p AS ${key_type}) AS p FROM ${edges} WHERE FALSE
