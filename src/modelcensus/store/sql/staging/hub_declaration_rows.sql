-- The Hub's parent declarations (baseModels, relation inferred by the Hub) of the accepted staged rows:
-- base_models is staging's JSON list of {relation, id} (only in staging, not a models column).
-- reads: _accepted_rows
-- produces: _hub_declaration_rows
-- params: sid=1 accepted=_accepted_rows
SELECT DISTINCT CAST(${sid} AS INTEGER) AS snapshot_id, child_id, p AS parent_id, relation, 'hub' AS source FROM (
  SELECT child_id, ${clean_p} AS p, nullif(lower(struct_extract(e, 'relation')), '') AS relation FROM (
    SELECT child_id, struct_extract(e, 'id') AS p, e FROM (
      SELECT id AS child_id, unnest(from_json(base_models, '[{"relation":"VARCHAR","id":"VARCHAR"}]')) AS e
      FROM ${accepted}
      WHERE base_models IS NOT NULL AND json_type(base_models) = 'ARRAY'
    ) listed
  ) named
) cleaned
WHERE ${valid_p}
-- dialect: spark
SELECT DISTINCT CAST(${sid} AS INT) AS snapshot_id, child_id, p AS parent_id, relation, 'hub' AS source FROM (
  SELECT child_id, ${clean_p_spark} AS p, nullif(lower(e.relation), '') AS relation FROM (
    SELECT child_id, e.id AS p, e FROM (
      SELECT id AS child_id, explode(from_json(base_models, 'ARRAY<STRUCT<relation: STRING, id: STRING>>')) AS e
      FROM ${accepted}
      WHERE base_models IS NOT NULL AND schema_of_variant(try_parse_json(base_models)) LIKE 'ARRAY%'
    ) listed
  ) named
) cleaned
WHERE ${valid_p_spark}
