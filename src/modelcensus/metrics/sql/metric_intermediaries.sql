-- Downloads and models per intermediary rule (registry, heuristic, both, none), within each credited group
-- (grp NULL: over all models): the `intermediaries` metric on a store and on --snapshots alike.
-- intermediary_credit: each model's namespace, credited group, weight and chosen download count.
-- reads: intermediary_credit, namespace_rules
-- produces: metric_intermediaries
WITH g AS (
  SELECT c.grp, coalesce(n.rule, 'none') AS rule, count(DISTINCT c.namespace) AS namespaces,
         fsum(c.w) AS models, fsum(c.w * coalesce(c.downloads, 0)) AS downloads
  FROM intermediary_credit c
  LEFT JOIN namespace_rules n ON n.snapshot_id = c.snapshot_id AND n.ns = c.namespace
  GROUP BY c.grp, coalesce(n.rule, 'none'))
SELECT grp, rule, namespaces, models, downloads,
       CASE WHEN fsum(downloads) OVER (PARTITION BY grp) > 0 THEN downloads / fsum(downloads) OVER (PARTITION BY grp)
       END AS share
FROM g
