-- The card and tag parent declarations of one snapshot, from its stored models rows. card: the author's card
-- (card_data.base_model, cleaned into models.base_models); tag: 'base_model:[relation:]parent' tags, split
-- with string functions (no regex per tag). Each unnest is in its own subquery (Spark has no nested one).
-- reads: models
-- produces: _declaration_rows
-- params: sid=1 models=models
SELECT DISTINCT CAST(${sid} AS INTEGER) AS snapshot_id, child_id, p AS parent_id, relation, source FROM (
  SELECT child_id, p, relation, 'card' AS source FROM (
    SELECT id AS child_id, unnest(base_models) AS p,
           nullif(lower(json_extract_string(card_data, '$.base_model_relation')), '') AS relation
    FROM ${models} WHERE snapshot_id = ${sid} AND base_models IS NOT NULL
  ) card
  UNION ALL
  SELECT child_id, ${clean_p} AS p, relation, 'tag' AS source FROM (
    SELECT child_id,
           CASE WHEN relation IS NULL THEN rest ELSE substr(rest, length(relation) + 2) END AS p,
           relation
    FROM (
      SELECT child_id, rest,
             CASE WHEN split_part(rest, ':', 1) IN ('adapter', 'finetune', 'merge', 'quantized')
                       AND length(rest) > length(split_part(rest, ':', 1)) + 1
                  THEN split_part(rest, ':', 1) END AS relation
      FROM (SELECT child_id, substr(t, 12) AS rest FROM (
              SELECT id AS child_id, unnest(list_filter(tags, lambda t: starts_with(t, 'base_model:'))) AS t
              FROM ${models} WHERE snapshot_id = ${sid}) tag_list) tags
    ) split
  ) tag
) declared
WHERE ${valid_p}
