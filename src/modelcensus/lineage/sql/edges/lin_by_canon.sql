-- reads: _lin_canon
-- produces: _lin_by_canon
-- The other look-up of id resolution: canonical key -> stored spelling.
SELECT canon, min(id) AS id FROM _lin_canon GROUP BY canon
