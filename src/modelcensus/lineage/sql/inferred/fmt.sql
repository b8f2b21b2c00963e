-- reads: _lin_m
-- produces: _lin_fmt
-- Format markers of every model: a format suffix on the name (base_name differs) or a format tag (fmt_tag,
-- made in lin_m.sql).
SELECT id, ns_lower, name_lower, base_name, base_name <> name_lower AS has_suffix,
       fmt_tag AS has_tag
FROM _lin_m
