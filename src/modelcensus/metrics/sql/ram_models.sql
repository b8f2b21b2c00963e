-- Each model of a RAM census once: an integer key (mid), its first createdAt, its latest spelling, the ATOM
-- size class of its latest sighting that has one (curated_sizes, then the Hub's parameter count, then the
-- name: metrics/sizes.py writes the rule), and its release date (release_fixes: ATOM's
-- release_date_corrections.csv when it lists the model, else createdAt's date). The size rule runs once per
-- distinct (spelling, parameter count), not once per sighting. Ties (two spellings of one id seen on one
-- day) go to the first in byte order, so every engine picks the same.
-- reads: ram_sightings, curated_sizes, release_fixes
-- produces: ram_models
-- params: size_class=NULL
WITH spell AS (
  SELECT id_lower, model_id AS id, params, max(observed_at) AS seen, min(created_at) AS created_at
  FROM ram_sightings GROUP BY id_lower, model_id, params),
per AS (
  SELECT id_lower, min(created_at) AS created_at, max(seen) AS seen FROM spell GROUP BY id_lower),
named AS (
  SELECT id_lower, id AS model_id FROM (
    SELECT id_lower, id, row_number() OVER (PARTITION BY id_lower ORDER BY seen DESC, id) AS rn FROM spell) s
  WHERE rn = 1),
sized AS (
  SELECT id_lower, size_class FROM (
    SELECT id_lower, size_class, row_number() OVER (PARTITION BY id_lower ORDER BY seen DESC, size_class) AS rn
    FROM (SELECT p.id_lower, p.seen, ${size_class} AS size_class
          FROM spell p LEFT JOIN curated_sizes cu ON cu.id_lower = p.id_lower) c
    WHERE size_class IS NOT NULL) s
  WHERE rn = 1)
SELECT row_number() OVER (ORDER BY per.id_lower) AS mid, per.id_lower, per.created_at, n.model_id,
       sz.size_class, coalesce(rf.release_date, CAST(per.created_at AS DATE)) AS release_date,
       rf.release_date IS NOT NULL AS corrected
FROM per
JOIN named n ON n.id_lower = per.id_lower
LEFT JOIN sized sz ON sz.id_lower = per.id_lower
LEFT JOIN release_fixes rf ON rf.id_lower = per.id_lower
