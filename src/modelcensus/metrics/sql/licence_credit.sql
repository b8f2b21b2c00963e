-- The credit rows of one snapshot of a folder with each model's licence (the store's models rows of the
-- latest file, made by the importer's own query files) and the chosen download count: what metric_licences
-- reads. A model the models rows lack keeps its credit with no licence (class 'unknown'): never dropped.
-- reads: credit, latest_models
-- produces: licence_credit
-- params: snapshot=1 field=d30
SELECT c.grp, c.w, lm.license, c.${field} AS downloads
FROM credit c
LEFT JOIN latest_models lm ON lm.snapshot_id = c.snapshot_id AND lm.id = c.model_id
WHERE c.snapshot_id = ${snapshot}
