-- Each model's downloads by age in days since its release: all-time downloads made non-decreasing over time
-- (a running max: the Hub's counter can dip), one value per (model, age) (the largest: several snapshots on
-- one day), and D = 0 on the release day. Sightings before the release date are not ages.
-- reads: ram_sightings, ram_models
-- produces: ram_obs
WITH o AS (
  SELECT r.mid, date_diff('day', r.release_date, CAST(s.observed_at AS DATE)) AS age, s.dall, s.observed_at
  FROM ram_sightings s JOIN ram_models r ON r.id_lower = s.id_lower
  WHERE s.dall IS NOT NULL AND r.release_date IS NOT NULL),
run AS (
  SELECT mid, age, max(dall) OVER (PARTITION BY mid ORDER BY observed_at ROWS UNBOUNDED PRECEDING) AS d
  FROM o WHERE age >= 0
  UNION ALL
  SELECT mid, 0 AS age, CAST(0 AS BIGINT) AS d FROM ram_models WHERE release_date IS NOT NULL)
SELECT mid, age, max(d) AS d FROM run GROUP BY mid, age
