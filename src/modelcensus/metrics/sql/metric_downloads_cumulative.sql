-- metrics.downloads_cumulative: per snapshot and group, credited all-time levels (deleted models keep
-- their last level) and the models carrying them, with shares of the snapshot's total.
-- reads: panel, credit, snapshot_index
-- produces: metric_downloads_cumulative
WITH g AS (
  SELECT p.k, c.grp, fsum(c.w * p.level) AS downloads, fsum(c.w) AS models
  FROM panel p JOIN credit c ON c.snapshot_id = p.obs_sid AND c.model_id = p.model_id
  GROUP BY p.k, c.grp)
SELECT s.k, s.snapshot_id AS snapshot, CAST(s.observed_at AS DATE) AS observed_at, g.grp, g.downloads, g.models,
       CASE WHEN fsum(g.downloads) OVER (PARTITION BY g.k) > 0
            THEN g.downloads / fsum(g.downloads) OVER (PARTITION BY g.k) END AS share
FROM g JOIN snapshot_index s ON s.k = g.k
