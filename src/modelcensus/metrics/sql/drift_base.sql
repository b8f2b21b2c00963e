-- The (derivative, root) rows of a folder's latest file for licence drift, as a store's origins and models
-- give them: the credited group (side r: the root row's column, as root keys credit; side p: the model's
-- publisher column), the derivative's licence and chosen download count from the latest file's models rows,
-- and the root (whose licence licence_drift_rows reads from root_models).
-- reads: model_roots, model_publishers, latest_models
-- produces: drift_base
-- params: snapshot=1 side=r group=root_country column=downloads_30d
SELECT r.snapshot_id, ${side}.${group} AS grp, r.model_id, lm.license AS child_license, r.root_id, r.w,
       coalesce(lm.${column}, 0) AS downloads
FROM model_roots r
JOIN latest_models lm ON lm.snapshot_id = r.snapshot_id AND lm.id = r.model_id
LEFT JOIN model_publishers p ON p.snapshot_id = r.snapshot_id AND p.model_id = r.model_id
WHERE r.snapshot_id = ${snapshot} AND r.depth > 0
