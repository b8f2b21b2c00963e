-- metrics.concentration: per snapshot, HHI and Gini of credited downloads over groups, the number of
-- groups, the total and the unknown group's share (CR-k come from concentration_ranks). Gini's rank-weighted
-- sum adds rank x share (at most the number of groups): rank x downloads passed 1e15, where Spark's exact sum
-- gives way to a DOUBLE one (store/dialect.py, fsum). nullif: Spark computes an aggregate's argument for every row
-- before the CASE looks at the total, and a division by a zero total is an error there (review30 R30-4). The
-- total is a grouped sum joined back, not fsum(x) OVER: on Spark a window's sum is combined on every row (one per
-- group and snapshot, millions over a history), a grouped one once a snapshot (store/dialect.py, fsum).
-- reads: concentration_groups, snapshot_index
-- produces: metric_concentration
-- params: include_unknown=0 first_k=1
WITH u AS (SELECT snapshot_id, fsum(x) AS all_x, coalesce(fsum(x) FILTER (WHERE grp IS NULL), 0) AS unknown_x
      FROM concentration_groups GROUP BY snapshot_id),
t AS (SELECT snapshot_id, fsum(x) AS tot
      FROM concentration_groups WHERE grp IS NOT NULL OR ${include_unknown} = 1 GROUP BY snapshot_id),
r AS (SELECT c.snapshot_id, c.x,
             row_number() OVER (PARTITION BY c.snapshot_id ORDER BY c.x ASC) AS k_asc,
             count(*) OVER (PARTITION BY c.snapshot_id) AS n, t.tot
      FROM concentration_groups c JOIN t ON t.snapshot_id = c.snapshot_id
      WHERE c.grp IS NOT NULL OR ${include_unknown} = 1),
agg AS (SELECT snapshot_id, any_value(n) AS n, any_value(tot) AS tot,
               CASE WHEN any_value(tot) > 0 THEN fsum((x / nullif(tot, 0)) * (x / nullif(tot, 0))) END AS hhi,
               CASE WHEN any_value(tot) > 0
                    THEN 2 * fsum(k_asc * (x / nullif(tot, 0))) / any_value(n)
                         - (any_value(n) + 1) / any_value(n) END AS gini
        FROM r GROUP BY snapshot_id)
SELECT s.k, s.snapshot_id AS snapshot, CAST(s.observed_at AS DATE) AS observed_at,
       coalesce(agg.n, 0) AS "groups", coalesce(agg.tot, 0) AS total, agg.hhi, agg.gini,
       CASE WHEN u.all_x > 0 THEN u.unknown_x / u.all_x END AS unknown_share
FROM snapshot_index s
LEFT JOIN agg ON agg.snapshot_id = s.snapshot_id
LEFT JOIN u ON u.snapshot_id = s.snapshot_id
WHERE s.k >= ${first_k}
