-- The latest file's models (the store's models rows, made by the importer's query files) as namespace_rules
-- reads them on --snapshots; a store's metric gives the same columns from its models table.
-- reads: latest_models
-- produces: ns_models
SELECT snapshot_id, id, tags, library_name FROM latest_models
