-- C_s(a): the rank-th largest D among the size class's models at age a (those old enough to have a value),
-- made non-decreasing in a by a running max (ATOM's monotonic top-10 cutoff); NULL where the class has fewer
-- than rank models at that age. n = the reference models of the cell.
-- reads: ram_values, ram_models
-- produces: ram_baseline
-- params: rank=10
WITH ranked AS (
  SELECT r.size_class, v.a, v.d,
         row_number() OVER (PARTITION BY r.size_class, v.a ORDER BY v.d DESC) AS k,
         count(*) OVER (PARTITION BY r.size_class, v.a) AS n
  FROM ram_values v JOIN ram_models r ON r.mid = v.mid
  WHERE v.kept AND r.size_class IS NOT NULL),
c AS (
  SELECT size_class, a, max(n) AS n,
         CASE WHEN max(n) >= ${rank} THEN max(CASE WHEN k = ${rank} THEN d END) END AS cutoff
  FROM ranked GROUP BY size_class, a)
SELECT size_class, a, n, cutoff,
       CASE WHEN cutoff IS NOT NULL THEN max(cutoff) OVER (PARTITION BY size_class ORDER BY a
                                                           ROWS UNBOUNDED PRECEDING) END AS baseline
FROM c
