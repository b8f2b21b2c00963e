-- Each model's publisher namespace and organisation type from a folder's lineage build (model_roots), as
-- namespace_rules reads them on --snapshots; a store's metric gives them from its origins table.
-- reads: model_roots
-- produces: ns_publishers
SELECT DISTINCT snapshot_id, publisher_namespace, publisher_org_type FROM model_roots
