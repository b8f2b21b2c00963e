-- The latest snapshot's models of a folder with each of their roots (the lineage build's origins of the
-- latest file) and the chosen download count: what metric_region_shift reads on --snapshots, as a store's
-- metric gives them from its models and origins (a model without an origins row is its own root, weight 1).
-- reads: snapshot_models, model_roots
-- produces: shift_rows
-- params: snapshot=1 field=d30
SELECT m.namespace, r.root_id, m.model_id, r.w, m.${field} AS downloads
FROM snapshot_models m
LEFT JOIN model_roots r ON r.snapshot_id = m.snapshot_id AND r.model_id = m.model_id
WHERE m.snapshot_id = ${snapshot}
