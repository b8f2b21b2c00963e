-- Each model's credit to one group (the grouping column is a parameter): publisher keys give a model
-- weight 1, as the store path's model-level keys do. A model without a group lands in NULL (unknown).
-- reads: snapshot_models, model_publishers
-- produces: credit
-- params: group=publisher_country
SELECT m.snapshot_id, m.model_id, m.created_at, m.d30, m.dall, p.${group} AS grp, CAST(1 AS DOUBLE) AS w
FROM snapshot_models m
LEFT JOIN model_publishers p ON p.snapshot_id = m.snapshot_id AND p.model_id = m.model_id
