-- Each (derivative, root) row of one snapshot with both licences' registry ranks (0 = most permissive; NULL =
-- not comparable: unknown, custom or unlisted) and whether the derivative is labelled strictly more
-- permissively than its root (drift: exactly Registry.more_permissive). drift_base holds the rows (credited
-- group, derivative, its licence and downloads, the root, its licence, the origin weight w): a store's
-- origins and models, or a folder's lineage and latest models rows. group_rank and pair_rank order the
-- drifted rows of a group and of a licence pair, most downloaded first, for the examples.
-- reads: drift_base, reg_licenses
-- produces: licence_drift_rows
SELECT *,
       row_number() OVER (PARTITION BY grp, drifted ORDER BY downloads DESC, model_id, root_id) AS group_rank,
       row_number() OVER (PARTITION BY root_license, child_license, drifted
                          ORDER BY downloads DESC, model_id, root_id) AS pair_rank
FROM (
  SELECT d.grp, d.model_id, d.child_license, d.root_license, d.root_id, d.w, d.downloads,
         cl.rank AS child_rank, rl.rank AS root_rank,
         (cl.rank IS NOT NULL AND rl.rank IS NOT NULL) AS comparable,
         coalesce(cl.rank < rl.rank, FALSE) AS drifted
  FROM drift_base d
  LEFT JOIN reg_licenses cl ON cl.license = lower(d.child_license)
  LEFT JOIN reg_licenses rl ON rl.license = lower(d.root_license)) ranked
