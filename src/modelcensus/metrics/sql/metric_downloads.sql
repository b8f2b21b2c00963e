-- metrics.downloads: credited downloads and models per group on one snapshot, with shares.
-- reads: credit
-- produces: metric_downloads
-- params: snapshot=1 field=d30
WITH g AS (
  SELECT grp, sum(w * coalesce(${field}, 0)) AS downloads, sum(w) AS models
  FROM credit WHERE snapshot_id = ${snapshot} GROUP BY grp)
SELECT grp, downloads, models,
       CASE WHEN sum(downloads) OVER () > 0 THEN downloads / sum(downloads) OVER () END AS share
FROM g
