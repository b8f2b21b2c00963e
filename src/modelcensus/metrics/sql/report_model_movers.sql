-- Each model's share of 30-day downloads at the report's base point and at its latest point, and the change:
-- the report's biggest movers (the largest absolute changes, ``limit`` of them).
-- reads: movers_base, movers_latest
-- produces: report_model_movers
-- params: limit=40
WITH a0 AS (SELECT id, id_lower, coalesce(downloads_30d, 0) AS d FROM movers_base),
c0 AS (SELECT id, id_lower, coalesce(downloads_30d, 0) AS d FROM movers_latest),
a AS (SELECT id, id_lower, d, d / nullif(sum(d) OVER (), 0) AS share FROM a0),
c AS (SELECT id, id_lower, d, d / nullif(sum(d) OVER (), 0) AS share FROM c0)
SELECT coalesce(c.id, a.id) AS name, coalesce(a.share, 0) AS share_first, coalesce(c.share, 0) AS share_last,
       coalesce(c.share, 0) - coalesce(a.share, 0) AS change, c.d AS downloads_last
FROM a FULL OUTER JOIN c ON a.id_lower = c.id_lower
ORDER BY abs(coalesce(c.share, 0) - coalesce(a.share, 0)) DESC, coalesce(c.id, a.id)
LIMIT ${limit}
