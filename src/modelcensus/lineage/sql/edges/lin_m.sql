-- reads: models
-- produces: _lin_m
-- params: sid=1
-- The snapshot's models with the keys edge inference joins on: ns_lower, name_lower, base_name (no format
-- suffix), dteacher, fam_name (edge_sql.name_columns_sql), and config features only — not the JSON, cards or GGUF blobs:
-- this table is the size of the Hub.
SELECT m.id, m.id_lower,
       ${name_columns},
       m.created_at, m.tags, m.files, m.library_name, m.model_type, m.architectures, m.params,
       -- a format tag (names.FORMAT_TAGS, edge_sql.any_tag_sql): read by fmt.sql and rnodes.sql, made once here
       ${format_tag} AS fmt_tag,
       -- sizes only from whole-number text: TRY_CAST reads '4096.0' and '1e3' on DuckDB, not on Spark
       CASE WHEN regexp_full_match(coalesce(m._s[1], m._s[2]), '[0-9]{1,18}')
            THEN CAST(coalesce(m._s[1], m._s[2]) AS BIGINT) END AS vocab,
       CASE WHEN regexp_full_match(coalesce(m._s[3], m._s[4]), '[0-9]{1,18}')
            THEN CAST(coalesce(m._s[3], m._s[4]) AS BIGINT) END AS hidden,
       -- quantized weights are described by an object; "quantization_config": null describes none
       coalesce(m._t[1] = 'OBJECT', FALSE) AS has_quant,
       CASE WHEN m.config IS NOT NULL THEN
           list_sort(list_filter(list_distinct(  -- sorted: a set, in one order on every engine
               [m._s[5], m._s[6], m._s[7], m._s[8], m._s[9], m._s[10], m._s[11]]
               || coalesce(CASE WHEN m._t[2] = 'ARRAY'
                           THEN json_extract_string(m.config, '$.tokenizer_config.additional_special_tokens[*]')
                           END, [])
               || coalesce(CASE WHEN m._t[3] = 'ARRAY'
                           THEN json_extract_string(m.config, '$.special_tokens[*]') END, [])),
               lambda t: t IS NOT NULL))
       END AS tokens
FROM (
  -- each config is parsed once for all its paths (one call per path parsed it 14 times: 4.1 s against 1.3 s
  -- for these extractions over 1M synthetic models)
  SELECT *, json_extract_string(config, ['$.vocab_size', '$.text_config.vocab_size', '$.hidden_size',
                                         '$.text_config.hidden_size', '$.tokenizer_config.bos_token',
                                         '$.tokenizer_config.eos_token', '$.tokenizer_config.pad_token',
                                         '$.tokenizer_config.unk_token', '$.tokenizer_config.bos_token.content',
                                         '$.tokenizer_config.eos_token.content',
                                         '$.tokenizer_config.pad_token.content']) AS _s,
            json_type(config, ['$.quantization_config', '$.tokenizer_config.additional_special_tokens',
                               '$.special_tokens']) AS _t
  FROM models WHERE snapshot_id = ${sid}
) m
