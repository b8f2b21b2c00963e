-- Each model's lineage roots per snapshot, from the folder's lineage build (`lineage build --snapshots DIR`:
-- lineage/DATE.origins.parquet, registered as origin_rows with the file's name): one row per (model, root)
-- with the root's organisation, country, type and family and the model's share `w` (a merge of k roots
-- gives each 1/k), as the store's origins table holds them; depth and the publisher's organisation say
-- whether the model is its root organisation's own release (first_party_models); root_id whose licence
-- a derivative's is compared with (drift_base); the publisher's namespace and type (ns_publishers).
-- reads: origin_rows, snapshot_files
-- produces: model_roots
SELECT f.snapshot_id, o.model_id, o.root_country, o.root_org, o.root_org_type, o.family, o.weight AS w,
       o.depth, o.publisher_org, o.root_id, o.publisher_namespace, o.publisher_org_type
FROM origin_rows o
JOIN snapshot_files f
  ON f.file_date = regexp_extract(o.mc_file_name, '([0-9]{4}-[0-9]{2}-[0-9]{2})[.]origins[.]parquet$', 1)
