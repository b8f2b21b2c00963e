-- reads: _rt_cn
-- produces: _rt_ca
-- The first jump, for every chain node whose pointer is not at a stop (one row each: its pointer is a chain
-- node), 2 hops (not stored). Most chains are short, so most rows finish here; those with fin are final.
SELECT a.c, s.n, greatest(a.g, s.g) AS g, a.f OR s.f AS f, s.fin
FROM _rt_cn a
JOIN _rt_cn s ON a.n = s.c
WHERE NOT a.fin
