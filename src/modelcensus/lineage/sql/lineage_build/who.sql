-- reads: _lin_ns, reg_namespaces
-- produces: _lin_who
-- The publisher of each of those ids: the registry's organisation, country and type for its namespace.
SELECT n.model_id, n.namespace, r.org, r.country, r.org_type, r.org_key
FROM _lin_ns n LEFT JOIN reg_namespaces r ON r.namespace_lower = lower(n.namespace)
