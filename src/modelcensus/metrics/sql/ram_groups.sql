-- Each model's group for a keyed RAM: its credit in the latest snapshot that has it, the group with the largest
-- summed weight there (a merge whose roots share a group gives that group their weights summed; ties in byte
-- order of the group, unknown last).
-- reads: credit, snapshot_index
-- produces: ram_groups
WITH summed AS (
  SELECT c.snapshot_id, lower(c.model_id) AS id_lower, c.grp, fsum(c.w) AS w
  FROM credit c GROUP BY c.snapshot_id, lower(c.model_id), c.grp)
SELECT id_lower, grp FROM (
  SELECT s.id_lower, s.grp,
         row_number() OVER (PARTITION BY s.id_lower ORDER BY i.observed_at DESC, s.w DESC, s.grp ASC NULLS LAST) AS rn
  FROM summed s JOIN snapshot_index i ON i.snapshot_id = s.snapshot_id) g
WHERE rn = 1
