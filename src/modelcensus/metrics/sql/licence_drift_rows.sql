-- Each (derivative, root) row of one snapshot with both licences' registry ranks (0 = most permissive; NULL =
-- not comparable: unknown, custom or unlisted) and whether the derivative is labelled strictly more
-- permissively than its root (drift: exactly Registry.more_permissive). drift_base holds the rows (snapshot,
-- credited group, derivative, its licence and downloads, the root, the origin weight w): a store's origins
-- and models, or a folder's lineage and latest models rows. The root's licence is its own row's in the same
-- snapshot (root_models): the row spelled as the root id, else the one row whose id matches it but for case;
-- two such rows and no exact one leave it unknown (review13 R13-3: both were joined, and the derivative
-- counted twice). group_rank and pair_rank order the drifted rows of a group and of a licence pair, most
-- downloaded first, for the examples; NULL on the other rows (ranking every row cost 2.9 s of the step's 4.0 s
-- at 2.2M models, for the few drifted ones the examples read).
-- reads: drift_base, root_models, reg_licenses
-- produces: licence_drift_rows
WITH roots AS (SELECT DISTINCT snapshot_id, lower(root_id) AS id_lower FROM drift_base),
cand AS (
  SELECT r.snapshot_id, r.id, r.id_lower, r.license
  FROM root_models r JOIN roots ON roots.snapshot_id = r.snapshot_id AND roots.id_lower = r.id_lower),
single AS (
  SELECT snapshot_id, id_lower, min(license) AS license FROM cand
  GROUP BY snapshot_id, id_lower HAVING count(*) = 1),
based AS (
  SELECT d.grp, d.model_id, d.child_license, coalesce(e.license, s.license) AS root_license, d.root_id, d.w,
         d.downloads
  FROM drift_base d
  LEFT JOIN cand e ON e.snapshot_id = d.snapshot_id AND e.id = d.root_id
  LEFT JOIN single s ON s.snapshot_id = d.snapshot_id AND s.id_lower = lower(d.root_id)),
ranked AS (
  SELECT b.grp, b.model_id, b.child_license, b.root_license, b.root_id, b.w, b.downloads,
         cl.rank AS child_rank, rl.rank AS root_rank,
         (cl.rank IS NOT NULL AND rl.rank IS NOT NULL) AS comparable,
         coalesce(cl.rank < rl.rank, FALSE) AS drifted
  FROM based b
  LEFT JOIN reg_licenses cl ON cl.license = lower(b.child_license)
  LEFT JOIN reg_licenses rl ON rl.license = lower(b.root_license))
SELECT *,
       row_number() OVER (PARTITION BY grp ORDER BY downloads DESC, model_id, root_id) AS group_rank,
       row_number() OVER (PARTITION BY root_license, child_license
                          ORDER BY downloads DESC, model_id, root_id) AS pair_rank
FROM ranked WHERE drifted
UNION ALL
SELECT *, CAST(NULL AS BIGINT) AS group_rank, CAST(NULL AS BIGINT) AS pair_rank FROM ranked WHERE NOT drifted
