-- reads: _lin_m, reg_model_aliases, reg_namespaces
-- produces: _lin_canon
-- Canonical key of every model: legacy alias ids and renamed namespaces map to today's spelling.
SELECT m.id, m.id_lower,
       coalesce(lower(a.canonical_id),
                CASE WHEN r.renamed_to IS NOT NULL
                     THEN lower(r.renamed_to) || '/' || m.name_lower END,
                m.id_lower) AS canon
FROM _lin_m m
LEFT JOIN reg_model_aliases a ON a.model_id_lower = m.id_lower
LEFT JOIN reg_namespaces r ON r.namespace_lower = m.ns_lower AND r.renamed_to IS NOT NULL
