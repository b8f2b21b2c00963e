-- reads: _lin_m
-- produces: _lin_fmt
-- Format markers of every model: a format suffix on the name (base_name differs) or a format tag
-- (${format_tag}: edge_sql.any_tag_sql).
SELECT id, ns_lower, name_lower, base_name, base_name <> name_lower AS has_suffix,
       ${format_tag} AS has_tag
FROM _lin_m
