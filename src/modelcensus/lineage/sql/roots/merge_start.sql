-- reads: _rt_e, _rt_m, _rt_fl, _rt_cn, _rt_ca, _rt_cx
-- produces: _rt_all
-- params: edges=_rt_e
-- Merge rows: one row per (merge, its parent's stop) with weight 1/k, the chain's depth and grade folded
-- in; parents of one merge that share a stop become one row (weights summed, shortest depth, strongest
-- grade). fin = the stop is not itself a merge.
SELECT e.c, coalesce(s.n, e.p) AS p, fsum(1.0::DOUBLE / m.k) AS w, min(coalesce(s.d, 0) + 1) AS d,
       min(CASE WHEN s.c IS NULL THEN CAST(e.g AS TINYINT) ELSE greatest(CAST(e.g AS TINYINT), s.g) END) AS g,
       bool_or(x.c IS NOT NULL OR coalesce(s.f, FALSE)) AS f,
       bool_and(m2.c IS NULL) AS fin
FROM ${edges} e
JOIN _rt_m m ON m.c = e.c
LEFT JOIN _rt_fl x ON x.c = e.c
LEFT JOIN (SELECT c, n, 1 AS d, g, f FROM _rt_cn WHERE fin UNION ALL SELECT c, n, 2 AS d, g, f FROM _rt_ca WHERE fin
          UNION ALL SELECT c, n, d, g, f FROM _rt_cx) s ON s.c = e.p
LEFT JOIN _rt_m m2 ON m2.c = coalesce(s.n, e.p)
GROUP BY e.c, coalesce(s.n, e.p)
