-- metrics.concentration's input: credited downloads x per snapshot and group (the unknown group is NULL),
-- made once and read by metric_concentration and concentration_ranks (one pass over credit, not two).
-- reads: credit
-- produces: concentration_groups
-- params: field=d30
SELECT snapshot_id, grp, fsum(w * coalesce(${field}, 0)) AS x FROM credit GROUP BY snapshot_id, grp
