-- reads: models
-- produces: _lin_m
-- params: sid=1
-- The snapshot's models with the keys edge inference joins on: ns_lower, name_lower, base_name (no format
-- suffix), dteacher, fam_name (edge_sql.name_columns_sql), and config features only — not the JSON, cards or GGUF blobs:
-- this table is the size of the Hub.
SELECT m.id, m.id_lower,
       ${name_columns},
       m.created_at, m.tags, m.files, m.library_name, m.model_type, m.architectures, m.params,
       TRY_CAST(coalesce(json_extract_string(m.config, '$.vocab_size'),
                         json_extract_string(m.config, '$.text_config.vocab_size')) AS BIGINT) AS vocab,
       TRY_CAST(coalesce(json_extract_string(m.config, '$.hidden_size'),
                         json_extract_string(m.config, '$.text_config.hidden_size')) AS BIGINT) AS hidden,
       json_extract(m.config, '$.quantization_config') IS NOT NULL AS has_quant,
       CASE WHEN m.config IS NOT NULL THEN
           list_sort(list_filter(list_distinct([  -- sorted: a set, in one order on every engine
               json_extract_string(m.config, '$.tokenizer_config.bos_token'),
               json_extract_string(m.config, '$.tokenizer_config.eos_token'),
               json_extract_string(m.config, '$.tokenizer_config.pad_token'),
               json_extract_string(m.config, '$.tokenizer_config.unk_token'),
               json_extract_string(m.config, '$.tokenizer_config.bos_token.content'),
               json_extract_string(m.config, '$.tokenizer_config.eos_token.content'),
               json_extract_string(m.config, '$.tokenizer_config.pad_token.content')]
               || coalesce(CASE WHEN json_type(m.config, '$.tokenizer_config.additional_special_tokens')
                                     = 'ARRAY'
                           THEN json_extract_string(m.config, '$.tokenizer_config.additional_special_tokens[*]')
                           END, [])
               || coalesce(CASE WHEN json_type(m.config, '$.special_tokens') = 'ARRAY'
                           THEN json_extract_string(m.config, '$.special_tokens[*]') END, [])),
               lambda t: t IS NOT NULL))
       END AS tokens
FROM models m WHERE m.snapshot_id = ${sid}
