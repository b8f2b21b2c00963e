-- reads: _lin_m, reg_namespaces, _lin_decl, _lin_conv, _lin_mirror, _lin_ref
-- produces: _lin_rnodes
-- The nodes to map to an original: observed intermediary uploads or format-marked models without a
-- declaration, conversion or re-upload edge, and dangling intermediary parents (_lin_ref).
-- base_cased_m / base_cased_id: the name without its format suffix, original case (edge_sql.base_cased_sql);
-- fmt_tag: the model has a format tag (lin_m.sql).
SELECT m.id, m.ns_lower, m.name_lower, m.base_name, ${base_cased_m} AS base_cased,
       (m.base_name <> m.name_lower OR m.fmt_tag) AS fmt,
       ns.org_type = 'intermediary' AS interm
FROM _lin_m m LEFT JOIN reg_namespaces ns ON ns.namespace_lower = m.ns_lower
WHERE (ns.org_type = 'intermediary' OR m.base_name <> m.name_lower
       OR m.fmt_tag)
  AND NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = m.id AND d.tier = 1)
  AND NOT EXISTS (SELECT 1 FROM _lin_conv d WHERE d.child_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM _lin_mirror d WHERE d.child_id = m.id AND d.tier = 2)
UNION ALL
SELECT id, ns_lower, name_lower, base_name, ${base_cased_id}, base_name <> name_lower, TRUE FROM _lin_ref
