-- Each model's credit to one group. The grouping column and the table holding it are parameters:
-- model_publishers (publisher keys, weight 1, as the store path's model-level keys) or model_roots (root
-- keys, one row per root with its origin weight, as the store path's root keys). A model without a group
-- (no publisher in the registry, or no origins row) lands in NULL (unknown) with weight 1: never dropped.
-- reads: snapshot_models, model_publishers
-- produces: credit
-- params: group=publisher_country keys=model_publishers
SELECT m.snapshot_id, m.model_id, m.created_at, m.d30, m.dall, p.${group} AS grp,
       coalesce(CAST(p.w AS DOUBLE), CAST(1 AS DOUBLE)) AS w
FROM snapshot_models m
LEFT JOIN ${keys} p ON p.snapshot_id = m.snapshot_id AND p.model_id = m.model_id
