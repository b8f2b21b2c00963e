-- Each model's downloads by age in days since its release: all-time downloads made non-decreasing over time
-- (a running max: the Hub's counter can dip), one value per (model, age) (the largest: several snapshots on
-- one day), and D = 0 on the release day. Sightings before the release date are not ages.
-- One window, no GROUP BY: the day's value is the running max at its last sighting (next_age differs), and
-- the release day's 0 runs first in the window (staging refuses negative counts, so it lowers nothing). A
-- GROUP BY (mid, age) after the window sized its hash table for every pair: at 52.8M sightings (24 files of a
-- hub of 3.6M models) a 512 MiB allocation failed under the 3 GiB default; this form ran there in 36 s, and
-- at 12 GB in 26 s against 34-38 s, with the same rows.
-- reads: ram_sightings, ram_models
-- produces: ram_obs
WITH o AS (
  SELECT r.mid, date_diff('day', r.release_date, CAST(s.observed_at AS DATE)) AS age, s.dall, s.observed_at
  FROM ram_sightings s JOIN ram_models r ON r.id_lower = s.id_lower
  WHERE s.dall IS NOT NULL AND r.release_date IS NOT NULL
  UNION ALL
  SELECT mid, 0 AS age, CAST(0 AS BIGINT) AS dall, NULL AS observed_at FROM ram_models WHERE release_date IS NOT NULL),
run AS (
  SELECT mid, age,
         max(dall) OVER (PARTITION BY mid ORDER BY age, observed_at NULLS FIRST ROWS UNBOUNDED PRECEDING) AS d,
         lead(age) OVER (PARTITION BY mid ORDER BY age, observed_at NULLS FIRST) AS next_age
  FROM o WHERE age >= 0)
SELECT mid, age, d FROM run WHERE next_age IS DISTINCT FROM age
