-- reads: models
-- produces: _lin_m
-- params: sid=1
-- The snapshot's models with the keys edge inference joins on: ns_lower, name_lower, base_name (no format
-- suffix), dteacher, fam_name (edge_sql.name_columns_sql), and config features only — not the JSON, cards or GGUF blobs:
-- this table is the size of the Hub.
SELECT m.id, m.id_lower,
       ${name_columns},
       m.created_at, m.tags, m.files, m.library_name, m.model_type, m.architectures, m.params,
       -- sizes only from whole-number text: TRY_CAST reads '4096.0' and '1e3' on DuckDB, not on Spark
       CASE WHEN regexp_full_match(_vocab, '[0-9]{1,18}') THEN CAST(_vocab AS BIGINT) END AS vocab,
       CASE WHEN regexp_full_match(_hidden, '[0-9]{1,18}') THEN CAST(_hidden AS BIGINT) END AS hidden,
       -- quantized weights are described by an object; "quantization_config": null describes none
       coalesce(json_type(m.config, '$.quantization_config') = 'OBJECT', FALSE) AS has_quant,
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
FROM (
  SELECT *, coalesce(json_extract_string(config, '$.vocab_size'),
                     json_extract_string(config, '$.text_config.vocab_size')) AS _vocab,
            coalesce(json_extract_string(config, '$.hidden_size'),
                     json_extract_string(config, '$.text_config.hidden_size')) AS _hidden
  FROM models WHERE snapshot_id = ${sid}
) m
