-- The latest snapshot's models of a folder with their namespace, credited group and weight (keyed=0: no
-- group, weight 1; credit is then by a model-level key, one row per model) and the chosen download count:
-- what metric_intermediaries reads on --snapshots (a store's metric makes it from its scope).
-- reads: credit, snapshot_models
-- produces: intermediary_credit
-- params: snapshot=1 keyed=1 field=d30
SELECT c.snapshot_id, c.model_id, m.namespace, CASE WHEN ${keyed} = 1 THEN c.grp END AS grp,
       CASE WHEN ${keyed} = 1 THEN c.w ELSE CAST(1 AS DOUBLE) END AS w, c.${field} AS downloads
FROM credit c
JOIN snapshot_models m ON m.snapshot_id = c.snapshot_id AND m.model_id = c.model_id
WHERE c.snapshot_id = ${snapshot}
