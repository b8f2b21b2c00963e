-- Models and downloads per ATOM size class on one snapshot, with each class's share of the models and of the
-- downloads and its median size in billions: the `sizes` metric on a store and on --snapshots alike.
-- reads: sized_models
-- produces: metric_sizes
WITH g AS (
  SELECT size_class, count(*) AS models, sum(coalesce(downloads, 0)) AS downloads, median(size_b) AS median_params_b
  FROM sized_models GROUP BY size_class)
SELECT size_class, models, models / sum(models) OVER () AS model_share, downloads,
       CASE WHEN sum(downloads) OVER () > 0 THEN downloads / sum(downloads) OVER () END AS share,
       median_params_b
FROM g
