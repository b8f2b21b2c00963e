-- D_m(a) at each checkpoint age (ram_ages): interpolated linearly on the segment between consecutive
-- observations that holds a (each age falls in exactly one (a0, a1]); never past a model's last observation.
-- gap = the segment's length in days (0 when a is an observation); kept = false where the gap is longer than
-- max_gap (0 = no limit): a straight line over it would be a guess.
-- reads: ram_obs, ram_ages
-- produces: ram_values
-- params: max_gap=92
WITH seg AS (
  SELECT mid, age AS a0, d AS d0,
         lead(age) OVER (PARTITION BY mid ORDER BY age) AS a1,
         lead(d) OVER (PARTITION BY mid ORDER BY age) AS d1
  FROM ram_obs),
v AS (
  SELECT s.mid, g.a,
         CASE WHEN g.a = s.a1 THEN s.d1 ELSE s.d0 + (s.d1 - s.d0) * (g.a - s.a0) / (s.a1 - s.a0) END AS d,
         CASE WHEN g.a = s.a1 THEN 0 ELSE s.a1 - s.a0 END AS gap
  FROM seg s JOIN ram_ages g ON g.a > s.a0 AND g.a <= s.a1
  WHERE s.a1 IS NOT NULL)
SELECT mid, a, CAST(d AS DOUBLE) AS d, gap, ${max_gap} <= 0 OR gap <= ${max_gap} AS kept FROM v
