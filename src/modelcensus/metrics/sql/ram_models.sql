-- Each model of a RAM census once: an integer key (mid), its first createdAt, its latest spelling, the ATOM
-- size class of its latest sighting that has one (curated_sizes, then the Hub's parameter count, then the
-- name: metrics/sizes.py writes the rule), and its release date (release_fixes: ATOM's
-- release_date_corrections.csv when it lists the model, else createdAt's date). The size rule runs once per
-- distinct (spelling, parameter count), not once per sighting. Ties (two spellings of one id seen on one
-- day) go to the first in byte order, so every engine picks the same. Most ids have one (spelling, parameter
-- count): their spelling and class are that row's, read by a plain aggregate; the "latest, then first in byte
-- order" windows run over the ids with several only (at 2.2M models in one snapshot a window over every id
-- cost 1.3 s of the step's 3.7 s). mid only keys the steps' joins and windows, so it is numbered in the ids' hash
-- order (sorting 2.2M hashes took 0.82 s, the strings themselves 1.14 s).
-- reads: ram_sightings, curated_sizes, release_fixes
-- produces: ram_models
-- params: size_b=NULL size_class=NULL
WITH spell AS (
  SELECT id_lower, model_id AS id, params, max(observed_at) AS seen, min(created_at) AS created_at
  FROM ram_sightings GROUP BY id_lower, model_id, params),
classed AS (
  SELECT id_lower, id, seen, created_at, ${size_class} AS size_class
  FROM (SELECT p.id_lower, p.id, p.seen, p.created_at, ${size_b} AS size_b
        FROM spell p LEFT JOIN curated_sizes cu ON cu.id_lower = p.id_lower) b),
per AS (
  SELECT id_lower, min(created_at) AS created_at, count(*) AS n, min(id) AS id, min(size_class) AS size_class
  FROM classed GROUP BY id_lower),
several AS (
  SELECT * FROM classed WHERE id_lower IN (SELECT id_lower FROM per WHERE n > 1)),
named AS (
  SELECT id_lower, id FROM (
    SELECT id_lower, id, row_number() OVER (PARTITION BY id_lower ORDER BY seen DESC, id) AS rn FROM several) s
  WHERE rn = 1),
sized AS (
  SELECT id_lower, size_class FROM (
    SELECT id_lower, size_class, row_number() OVER (PARTITION BY id_lower ORDER BY seen DESC, size_class) AS rn
    FROM several WHERE size_class IS NOT NULL) s
  WHERE rn = 1)
SELECT row_number() OVER (ORDER BY hash(per.id_lower)) AS mid, per.id_lower, per.created_at,
       CASE WHEN per.n > 1 THEN n.id ELSE per.id END AS model_id,
       CASE WHEN per.n > 1 THEN sz.size_class ELSE per.size_class END AS size_class,
       coalesce(rf.release_date, CAST(per.created_at AS DATE)) AS release_date,
       rf.release_date IS NOT NULL AS corrected
FROM per
LEFT JOIN named n ON n.id_lower = per.id_lower
LEFT JOIN sized sz ON sz.id_lower = per.id_lower
LEFT JOIN release_fixes rf ON rf.id_lower = per.id_lower
