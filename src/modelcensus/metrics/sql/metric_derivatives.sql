-- Derivatives per createdAt month (by_month=1) or over all time (by_month=0) and credited group, with each
-- group's share of the month: the `derivatives` metric on a store and on --snapshots alike.
-- reads: derivative_credit
-- produces: metric_derivatives
-- params: by_month=1
WITH g AS (
  SELECT CASE WHEN ${by_month} = 1 THEN strftime(created_at, '%Y-%m') ELSE 'all' END AS month, grp,
         fsum(w) AS derivatives
  FROM derivative_credit
  GROUP BY CASE WHEN ${by_month} = 1 THEN strftime(created_at, '%Y-%m') ELSE 'all' END, grp)
SELECT month, grp, derivatives, derivatives / fsum(derivatives) OVER (PARTITION BY month) AS share
FROM g WHERE derivatives > 0
