-- reads: _rt_mx, _rt_all
-- produces: _rt_mx
-- One round of pointer doubling over the merges (run until no row is unfinished): every unfinished
-- (model -> frontier) row takes the frontier's rows, so a row covers twice the hops per round. Weights
-- multiply along a path and sum over paths; depth is the shortest, grade the strongest path's weakest link.
-- Rows finished in earlier rounds are carried as they are.
SELECT c, p, w, d, g, f, fin FROM _rt_mx WHERE fin
UNION ALL
SELECT a.c, s.p, fsum(a.w * s.w) AS w, min(a.d + s.d) AS d, min(greatest(a.g, s.g)) AS g,
       bool_or(a.f OR s.f) AS f, bool_and(s.fin) AS fin
FROM _rt_mx a
JOIN (SELECT c, p, w, d, g, f, fin FROM _rt_all WHERE fin UNION ALL SELECT c, p, w, d, g, f, fin FROM _rt_mx) s
  ON a.p = s.c
WHERE NOT a.fin
GROUP BY a.c, s.p
