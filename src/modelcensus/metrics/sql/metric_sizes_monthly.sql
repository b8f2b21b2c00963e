-- New models per createdAt month and ATOM size class on one snapshot, with the class's share of the month's
-- new models and their mean size in billions: `sizes -o per_month=true` on a store and on --snapshots alike.
-- reads: sized_models
-- produces: metric_sizes_monthly
WITH g AS (
  SELECT strftime(created_at, '%Y-%m') AS month, size_class, count(*) AS models, avg(size_b) AS mean_params_b
  FROM sized_models GROUP BY strftime(created_at, '%Y-%m'), size_class)
SELECT month, size_class, models, models / sum(models) OVER (PARTITION BY month) AS share, mean_params_b
FROM g
