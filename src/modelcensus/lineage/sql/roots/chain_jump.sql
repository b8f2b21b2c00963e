-- reads: _rt_cx, _rt_ca, _rt_cn
-- produces: _rt_cx
-- One round of pointer jumping (run until no row is unfinished): a pointer onto a finished node lands on
-- that node's stop, onto an unfinished one it doubles; depth adds up, the weakest grade and the flag carry.
-- Rows finished in earlier rounds are carried as they are.
SELECT c, n, d, g, f, fin FROM _rt_cx WHERE fin
UNION ALL
SELECT a.c, s.n, a.d + s.d AS d, greatest(a.g, s.g) AS g, a.f OR s.f AS f, s.fin
FROM _rt_cx a
JOIN (SELECT c, n, 1 AS d, g, f, fin FROM _rt_cn WHERE fin
      UNION ALL SELECT c, n, 2 AS d, g, f, fin FROM _rt_ca WHERE fin
      UNION ALL SELECT c, n, d, g, f, fin FROM _rt_cx) s ON a.n = s.c
WHERE NOT a.fin
