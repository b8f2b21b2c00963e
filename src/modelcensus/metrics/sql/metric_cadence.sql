-- First-party releases per createdAt month and credited group on one snapshot (snapshot=-1: every snapshot
-- the credit holds, as a store's as-of census gives one observation per model), with each group's share of
-- the month: the `cadence` metric on a store and on --snapshots alike.
-- reads: credit, first_party_models
-- produces: metric_cadence
-- params: snapshot=-1
WITH g AS (
  SELECT strftime(c.created_at, '%Y-%m') AS month, c.grp, fsum(c.w) AS releases
  FROM credit c
  JOIN first_party_models f ON f.snapshot_id = c.snapshot_id AND f.model_id = c.model_id
  WHERE ${snapshot} < 0 OR c.snapshot_id = ${snapshot}
  GROUP BY strftime(c.created_at, '%Y-%m'), c.grp)
SELECT month, grp, releases, releases / fsum(releases) OVER (PARTITION BY month) AS share
FROM g
