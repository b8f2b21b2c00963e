-- Each model's publisher: its namespace (a legacy un-namespaced id goes through the registry's model
-- aliases) looked up in the registry's namespace table (renamed namespaces included) - the same rule as
-- the lineage build's publisher attribution (lineage/build.py _lin_ns/_lin_who).
-- reads: snapshot_models, reg_namespaces, reg_model_aliases
-- produces: model_publishers
WITH ns AS (
  SELECT m.snapshot_id, m.model_id, m.namespace,
         coalesce(CASE WHEN contains(m.model_id, '/') THEN split_part(m.model_id, '/', 1) END,
                  split_part(a.canonical_id, '/', 1)) AS publisher_namespace
  FROM snapshot_models m LEFT JOIN reg_model_aliases a ON a.model_id_lower = m.id_lower)
SELECT ns.snapshot_id, ns.model_id, ns.namespace, ns.publisher_namespace,
       r.org AS publisher_org, r.country AS publisher_country, r.org_type AS publisher_org_type,
       CAST(1 AS DOUBLE) AS w
FROM ns LEFT JOIN reg_namespaces r ON r.namespace_lower = lower(ns.publisher_namespace)
