-- reads: _lin_decl, reg_namespaces
-- produces: _lin_ref
-- Declared parents the snapshot lacks, in a registry intermediary namespace (dangling re-uploads), with the
-- name columns of _lin_m (name_columns: edge_sql.name_columns_sql on r.id); family rules read it too.
SELECT r.id, ${name_columns}, ns.org_key AS pub_org
FROM (SELECT DISTINCT parent_id AS id FROM _lin_decl WHERE NOT present AND contains(parent_id, '/')) r
JOIN reg_namespaces ns ON ns.namespace_lower = lower(split_part(r.id, '/', 1))
WHERE ns.org_type = 'intermediary'
