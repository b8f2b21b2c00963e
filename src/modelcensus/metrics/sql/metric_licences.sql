-- The licence mix of one snapshot: per credited group and licence class (by_class=1; a licence the registry
-- does not list is class 'unknown') or licence id (by_class=0), the models, their downloads and the shares
-- of the group's models and downloads; whole=1 takes the shares over all models instead (grouped by the
-- licence itself, every group holds one licence and its share of the group would be 1 on every row).
-- The `licences` metric on a store and on --snapshots alike.
-- reads: licence_credit, reg_licenses
-- produces: metric_licences
-- params: by_class=1 whole=0
WITH g AS (
  SELECT c.grp, CASE WHEN ${by_class} = 1 THEN coalesce(rl.class, 'unknown') ELSE c.license END AS lic,
         fsum(c.w) AS models, fsum(c.w * coalesce(c.downloads, 0)) AS downloads
  FROM licence_credit c
  LEFT JOIN reg_licenses rl ON rl.license = lower(c.license)
  GROUP BY c.grp, CASE WHEN ${by_class} = 1 THEN coalesce(rl.class, 'unknown') ELSE c.license END)
SELECT grp, lic, models, downloads,
       models / fsum(models) OVER (PARTITION BY CASE WHEN ${whole} = 1 THEN NULL ELSE grp END) AS share,
       CASE WHEN fsum(downloads) OVER (PARTITION BY CASE WHEN ${whole} = 1 THEN NULL ELSE grp END) > 0
            THEN downloads / fsum(downloads) OVER (PARTITION BY CASE WHEN ${whole} = 1 THEN NULL ELSE grp END)
       END AS downloads_share
FROM g
