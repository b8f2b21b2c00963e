-- metrics.concentration's CR-k: per snapshot, the cumulative share of the k largest groups for every k
-- (CR-k for k above the number of groups is the share of all of them).
-- reads: concentration_groups
-- produces: concentration_ranks
-- params: include_unknown=0
WITH r AS (SELECT snapshot_id, x,
             row_number() OVER (PARTITION BY snapshot_id ORDER BY x DESC) AS k_desc,
             fsum(x) OVER (PARTITION BY snapshot_id) AS tot
      FROM concentration_groups WHERE grp IS NOT NULL OR ${include_unknown} = 1)
SELECT snapshot_id, k_desc,
       fsum(x / tot) OVER (PARTITION BY snapshot_id ORDER BY k_desc
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_share
FROM r WHERE tot > 0
