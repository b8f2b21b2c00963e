-- The namespaces an intermediary rule fires on, with their repos, re-packages, models and downloads and the
-- share of all downloads: `intermediaries -o detail=namespaces` on a store and on --snapshots alike.
-- reads: intermediary_credit, namespace_rules
-- produces: metric_intermediary_namespaces
WITH d AS (
  SELECT snapshot_id, namespace, sum(coalesce(downloads, 0)) AS downloads, count(*) AS models
  FROM intermediary_credit GROUP BY snapshot_id, namespace),
total AS (SELECT sum(coalesce(downloads, 0)) AS downloads FROM intermediary_credit)
SELECT n.ns AS namespace, n.rule, n.repos, n.repackaged, d.models, d.downloads,
       d.downloads / nullif(total.downloads, 0) AS share
FROM namespace_rules n
JOIN d ON d.snapshot_id = n.snapshot_id AND d.namespace = n.ns
CROSS JOIN total
WHERE n.rule <> 'none'
