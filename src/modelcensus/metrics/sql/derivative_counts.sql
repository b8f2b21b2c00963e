-- What the derivatives metric's notes say of one snapshot's derivatives: how many lack the filter's download
-- field (the filter leaves them out) and how many of those kept lack createdAt (month null).
-- reads: snapshot_models, model_relations
-- produces: derivative_counts
-- params: snapshot=1 min_field=dall min_downloads=-1
SELECT count(*) FILTER (WHERE m.${min_field} IS NULL) AS without_field,
       count(*) FILTER (WHERE m.created_at IS NULL
                          AND (${min_downloads} < 0 OR m.${min_field} > ${min_downloads})) AS undated
FROM snapshot_models m
JOIN model_relations r ON r.snapshot_id = m.snapshot_id AND r.model_id = m.model_id
WHERE m.snapshot_id = ${snapshot}
