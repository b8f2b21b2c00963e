-- metrics.downloads: credited downloads and models per group on one snapshot, with shares.
-- reads: credit
-- produces: metric_downloads
-- params: snapshot=1 field=d30
WITH g AS (
  SELECT grp, fsum(w * coalesce(${field}, 0)) AS downloads, fsum(w) AS models
  FROM credit WHERE snapshot_id = ${snapshot} GROUP BY grp)
SELECT grp, downloads, models,
       CASE WHEN fsum(downloads) OVER () > 0 THEN downloads / fsum(downloads) OVER () END AS share
FROM g
