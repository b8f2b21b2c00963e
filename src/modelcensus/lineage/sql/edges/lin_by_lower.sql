-- reads: _lin_m
-- produces: _lin_by_lower
-- One of the two look-ups every id resolution needs, grouped once per build (not once per resolution).
SELECT id_lower, min(id) AS id FROM _lin_m GROUP BY id_lower
