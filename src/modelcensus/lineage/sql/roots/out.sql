-- reads: _rt_cn, _rt_ca, _rt_cx, _rt_mr, _rt_fl, _rt_e
-- produces: _rt_out
-- params: key_type=INTEGER edges=_rt_e
-- One row per (child, root): chain nodes (their stop, or when the stop is a merge, one row per root of that
-- merge: every merge has at least one row in _rt_mr), the merges, and cycle members whose every parent was
-- in the cycle (their own roots). Materialised under the caller's name.
SELECT CAST(c AS ${key_type}) AS c, CAST(p AS ${key_type}) AS p, w, CAST(d AS INTEGER) AS d,
       CAST(g AS TINYINT) AS g, f
FROM (
    SELECT s.c, coalesce(m.p, s.n) AS p, coalesce(m.w, 1.0::DOUBLE) AS w, s.d + coalesce(m.d, 0) AS d,
           CASE WHEN m.c IS NULL THEN s.g ELSE greatest(s.g, m.g) END AS g, s.f OR coalesce(m.f, FALSE) AS f
    FROM (SELECT c, n, 1 AS d, g, f FROM _rt_cn WHERE fin UNION ALL SELECT c, n, 2 AS d, g, f FROM _rt_ca WHERE fin
          UNION ALL SELECT c, n, d, g, f FROM _rt_cx) s
    LEFT JOIN _rt_mr m ON m.c = s.n
    UNION ALL
    SELECT c, p, w, d, g, f FROM _rt_mr
    UNION ALL
    SELECT c, c AS p, 1.0::DOUBLE AS w, 0 AS d, CAST(0 AS TINYINT) AS g, TRUE AS f FROM _rt_fl ANTI JOIN ${edges} USING (c)
) roots
