-- metrics.downloads_monthly: calendar-month flows of credited all-time downloads per group, each interval's
-- flow split over months by month_fractions (computed in Python by metrics.series.month_fractions).
-- reads: flow, credit, month_fractions
-- produces: metric_downloads_monthly
WITH per_interval AS (
  SELECT f.k, c.grp, fsum(c.w * f.flow) AS flow
  FROM flow f JOIN credit c ON c.snapshot_id = f.obs_sid AND c.model_id = f.model_id
  WHERE f.flow IS NOT NULL GROUP BY f.k, c.grp),
g AS (SELECT fr.month, p.grp, fsum(p.flow * fr.frac) AS downloads
      FROM per_interval p JOIN month_fractions fr ON fr.k = p.k GROUP BY fr.month, p.grp)
SELECT month, grp, downloads,
       CASE WHEN fsum(downloads) OVER (PARTITION BY month) > 0
            THEN downloads / fsum(downloads) OVER (PARTITION BY month) END AS share
FROM g
