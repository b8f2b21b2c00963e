-- reads: _lin_interm_res
-- produces: _lin_interm
-- Re-uploader edges, resolved: a re-upload, or a conversion when the node carries a format marker.
SELECT child_id, coalesce(resolved, target) AS parent_id,
       CASE WHEN fmt THEN 'conversion' ELSE 'reupload' END AS relation, TRUE AS inferred, 'name' AS grade,
       evidence || CASE WHEN resolved IS NULL THEN ' (not in snapshot)' ELSE '' END AS evidence,
       2 AS tier, CASE WHEN fmt THEN 1 ELSE 2 END AS kind_rank
FROM _lin_interm_res WHERE lower(coalesce(resolved, target)) <> lower(child_id)
