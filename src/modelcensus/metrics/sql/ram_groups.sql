-- Each model's group for a keyed RAM: its credit in the latest snapshot that has it (the largest weight there;
-- ties in byte order of the group, unknown last).
-- reads: credit, snapshot_index
-- produces: ram_groups
SELECT id_lower, grp FROM (
  SELECT lower(c.model_id) AS id_lower, c.grp,
         row_number() OVER (PARTITION BY lower(c.model_id)
                            ORDER BY i.observed_at DESC, c.w DESC, c.grp ASC NULLS LAST) AS rn
  FROM credit c JOIN snapshot_index i ON i.snapshot_id = c.snapshot_id) g
WHERE rn = 1
