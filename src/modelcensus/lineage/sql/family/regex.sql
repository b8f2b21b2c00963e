-- reads: _lin_fam_names
-- produces: _lin_fam_regex
-- One combined name pattern per family. Not materialised: Python reads the rows (a few dozen) and writes
-- each pattern into the name query as a constant, since a pattern read per row is recompiled for every row.
SELECT family, '(?i)' || string_agg('(?:' || substr(pattern, 5) || ')', '|') AS pattern
FROM _lin_fam_names GROUP BY family
