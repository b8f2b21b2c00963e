-- The store's models rows (columns and types of the store's models table) of the accepted staged rows.
-- DuckDB parses each JSON document once for all the fields read from it (json_extract with a list of paths,
-- chosen for import speed): _card = card_data's license, base_model, base_model_relation; _cfg = config's
-- model_type, architectures. Spark has no list-of-paths form: its section reads each path with
-- get_json_object and the value types from the parsed variant (what store/dialect.py writes for json_type).
-- The DuckDB importer adds "id not yet in the snapshot" to the accepted rows (resumed crawls, multi-file snapshots).
-- reads: _accepted_rows
-- produces: _model_rows
-- params: sid=1 accepted=_accepted_rows
SELECT CAST(${sid} AS INTEGER) AS snapshot_id,
       id, lower(id) AS id_lower,
       coalesce(nullif(author, ''), CASE WHEN contains(id, '/') THEN split_part(id, '/', 1) END) AS author,
       TRY_CAST(created_at AS TIMESTAMPTZ) AS created_at, TRY_CAST(last_modified AS TIMESTAMPTZ) AS last_modified,
       TRY_CAST(downloads AS BIGINT) AS downloads_30d, TRY_CAST(downloads_all_time AS BIGINT) AS downloads_all_time,
       TRY_CAST(likes AS BIGINT) AS likes,
       TRY_CAST(trending_score AS DOUBLE) AS trending_score,
       nullif(pipeline_tag, '') AS pipeline_tag, nullif(library_name, '') AS library_name,
       coalesce(
         nullif(lower(trim(license)), ''),
         CASE json_type(_card[1])
           WHEN 'VARCHAR' THEN nullif(lower(trim(json_extract_string(_card[1], '$'))), '')
           WHEN 'ARRAY' THEN nullif(lower(trim(json_extract_string(_card[1], '$[0]'))), '') END,
         lower(substr(list_filter(tags, lambda t: starts_with(t, 'license:'))[1], 9))
       ) AS license,
       tags,
       TRY_CAST(safetensors_total AS BIGINT) AS params,
       nullif(lower(CAST(gated AS VARCHAR)), '') AS gated,
       TRY_CAST(private AS BOOLEAN) AS private, TRY_CAST(disabled AS BOOLEAN) AS disabled,
       nullif(sha, '') AS sha,
       list_filter(list_transform(
           CASE json_type(_card[2])
             WHEN 'VARCHAR' THEN [json_extract_string(_card[2], '$')]
             WHEN 'ARRAY' THEN json_extract_string(_card[2], '$[*]') END,
           lambda x: ${clean_x}),
         lambda p: ${valid_p}) AS base_models,
       coalesce(
         nullif(lower(json_extract_string(_card[3], '$')), ''),
         nullif(lower(json_extract_string(base_models, '$[0].relation')), ''),
         lower(regexp_extract(list_filter(list_filter(tags, lambda t: starts_with(t, 'base_model:')),
             lambda t: regexp_matches(t, '^base_model:(adapter|finetune|merge|quantized):'))[1],
             '^base_model:([a-z]+):', 1))
       ) AS base_model_relation,
       json_extract_string(_cfg[1], '$') AS model_type,
       CASE WHEN json_type(_cfg[2]) = 'ARRAY' THEN json_extract_string(_cfg[2], '$[*]') END AS architectures,
       CAST(config AS JSON) AS config, CAST(gguf AS JSON) AS gguf, CAST(card_data AS JSON) AS card_data,
       files, card_text
FROM (
  SELECT *,
         json_extract(card_data, ['$.license', '$.base_model', '$.base_model_relation']) AS _card,
         json_extract(config, ['$.model_type', '$.architectures']) AS _cfg
  FROM ${accepted}
) parsed
-- dialect: spark
SELECT CAST(${sid} AS INT) AS snapshot_id,
       id, lower(id) AS id_lower,
       coalesce(nullif(author, ''), CASE WHEN contains(id, '/') THEN split_part(id, '/', 1) END) AS author,
       TRY_CAST(created_at AS TIMESTAMP) AS created_at, TRY_CAST(last_modified AS TIMESTAMP) AS last_modified,
       TRY_CAST(downloads AS BIGINT) AS downloads_30d, TRY_CAST(downloads_all_time AS BIGINT) AS downloads_all_time,
       TRY_CAST(likes AS BIGINT) AS likes,
       TRY_CAST(trending_score AS DOUBLE) AS trending_score,
       nullif(pipeline_tag, '') AS pipeline_tag, nullif(library_name, '') AS library_name,
       coalesce(
         nullif(lower(trim(license)), ''),
         CASE WHEN _license_type = 'STRING'
                THEN nullif(lower(trim(get_json_object(card_data, '$.license'))), '')
              WHEN _license_type LIKE 'ARRAY%'
                THEN nullif(lower(trim(get_json_object(card_data, '$.license[0]'))), '') END,
         lower(substr(get(filter(tags, t -> startswith(t, 'license:')), 0), 9))
       ) AS license,
       tags,
       TRY_CAST(safetensors_total AS BIGINT) AS params,
       nullif(lower(CAST(gated AS STRING)), '') AS gated,
       TRY_CAST(private AS BOOLEAN) AS private, TRY_CAST(disabled AS BOOLEAN) AS disabled,
       nullif(sha, '') AS sha,
       filter(transform(
           CASE WHEN _base_type = 'STRING' THEN array(get_json_object(card_data, '$.base_model'))
                WHEN _base_type LIKE 'ARRAY%'
                  THEN from_json(get_json_object(card_data, '$.base_model'), 'ARRAY<STRING>') END,
           x -> ${clean_x_spark}),
         p -> ${valid_p_spark}) AS base_models,
       coalesce(
         nullif(lower(get_json_object(card_data, '$.base_model_relation')), ''),
         nullif(lower(get_json_object(base_models, '$[0].relation')), ''),
         lower(regexp_extract(get(filter(tags, t -> startswith(t, 'base_model:')
                                         AND t RLIKE '^base_model:(adapter|finetune|merge|quantized):'), 0),
                              '^base_model:([a-z]+):', 1))
       ) AS base_model_relation,
       get_json_object(config, '$.model_type') AS model_type,
       CASE WHEN _arch_type LIKE 'ARRAY%'
            THEN from_json(get_json_object(config, '$.architectures'), 'ARRAY<STRING>') END AS architectures,
       config, gguf, card_data,
       files, card_text
FROM (
  SELECT *,
         schema_of_variant(try_variant_get(try_parse_json(card_data), '$.license')) AS _license_type,
         schema_of_variant(try_variant_get(try_parse_json(card_data), '$.base_model')) AS _base_type,
         schema_of_variant(try_variant_get(try_parse_json(config), '$.architectures')) AS _arch_type
  FROM ${accepted}
) parsed
