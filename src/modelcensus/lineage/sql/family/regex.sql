-- reads: _lin_fam_names
-- produces: _lin_fam_regex
-- One combined name pattern per family. Python reads it (a few dozen rows) and writes each into the name
-- query as a constant: a per-row pattern would be recompiled for every row.
SELECT family, '(?i)' || string_agg('(?:' || substr(pattern, 5) || ')', '|') AS pattern
FROM _lin_fam_names GROUP BY family
