-- The latest file's models rows (id, its lower-cased form, licence) as licence_drift_rows reads the roots'
-- licences on --snapshots; a store's metric gives the same columns from its models table.
-- reads: latest_models
-- produces: root_models
SELECT snapshot_id, id, id_lower, license FROM latest_models
