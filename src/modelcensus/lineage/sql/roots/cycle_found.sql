-- reads: _rt_cy_new
-- produces: _rt_cyc
-- params: key_type=INTEGER
-- The cycle edges found after the first resolution: the edges dropped to break cycles.
SELECT CAST(c AS ${key_type}) AS c, CAST(p AS ${key_type}) AS p FROM _rt_cy_new
