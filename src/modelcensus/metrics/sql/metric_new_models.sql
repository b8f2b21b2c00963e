-- New models per createdAt month and group on one snapshot, with each group's share of the month.
-- reads: credit
-- produces: metric_new_models
-- params: snapshot=1
WITH g AS (
  SELECT strftime(created_at, '%Y-%m') AS month, grp, fsum(w) AS models
  FROM credit WHERE snapshot_id = ${snapshot}
  GROUP BY strftime(created_at, '%Y-%m'), grp)
SELECT month, grp, models, models / fsum(models) OVER (PARTITION BY month) AS share
FROM g
