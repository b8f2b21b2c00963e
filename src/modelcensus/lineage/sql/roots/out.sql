-- reads: _rt_cd, _rt_ca, _rt_m, _rt_mr, _rt_fl, _rt_e
-- produces: _rt_out
-- params: key_type=INTEGER edges=_rt_e
-- One row per (child, root): chains that stop at a root or dangling parent, chains that stop at a merge
-- (taking the merge's roots), the merges, and cycle members whose every parent was in the cycle (their own
-- roots). Materialised under the caller's name.
SELECT CAST(c AS ${key_type}) AS c, CAST(p AS ${key_type}) AS p, w, CAST(d AS INTEGER) AS d,
       CAST(g AS TINYINT) AS g, f
FROM (
    SELECT s.c, s.n AS p, 1.0::DOUBLE AS w, s.d, s.g, s.f FROM _rt_cd s ANTI JOIN _rt_m m ON m.c = s.n
    UNION ALL
    SELECT s.c, s.n AS p, 1.0::DOUBLE AS w, s.d, s.g, s.f FROM _rt_ca s ANTI JOIN _rt_m m ON m.c = s.n
    UNION ALL
    SELECT s.c, m.p, m.w, s.d + m.d, greatest(s.g, m.g), s.f OR m.f FROM _rt_cd s JOIN _rt_mr m ON s.n = m.c
    UNION ALL
    SELECT s.c, m.p, m.w, s.d + m.d, greatest(s.g, m.g), s.f OR m.f FROM _rt_ca s JOIN _rt_mr m ON s.n = m.c
    UNION ALL
    SELECT c, p, w, d, g, f FROM _rt_mr
    UNION ALL
    SELECT c, c AS p, 1.0::DOUBLE AS w, 0 AS d, CAST(0 AS TINYINT) AS g, TRUE AS f FROM _rt_fl ANTI JOIN ${edges} USING (c)
) roots
