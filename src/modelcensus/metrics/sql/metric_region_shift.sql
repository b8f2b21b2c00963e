-- ATOM's namespace region beside the lineage root's namespace region (ATOM's own table applied to both, so
-- only the attribution rule differs), cross-tabulated over credited models and downloads: the `region_shift`
-- metric on a store and on --snapshots alike. shift_rows: each model's namespace, root (NULL: its own) with
-- the origin weight (NULL: 1), and chosen download count; namespace_regions: ATOM's organization_regions.csv
-- (exact, case-sensitive namespace; an unlisted one is 'unreviewed').
-- reads: shift_rows, namespace_regions
-- produces: metric_region_shift
WITH g AS (
  SELECT coalesce(nr.region, 'unreviewed') AS namespace_region,
         coalesce(rnr.region, 'unreviewed') AS root_namespace_region,
         fsum(coalesce(s.w, 1.0)) AS models, fsum(coalesce(s.w, 1.0) * coalesce(s.downloads, 0)) AS downloads
  FROM shift_rows s
  LEFT JOIN namespace_regions nr ON nr.namespace = s.namespace
  LEFT JOIN namespace_regions rnr ON rnr.namespace = split_part(coalesce(s.root_id, s.model_id), '/', 1)
  GROUP BY coalesce(nr.region, 'unreviewed'), coalesce(rnr.region, 'unreviewed'))
SELECT namespace_region, root_namespace_region, models, downloads,
       CASE WHEN fsum(downloads) OVER () > 0 THEN downloads / fsum(downloads) OVER () END AS share,
       namespace_region <> root_namespace_region AS moved
FROM g
