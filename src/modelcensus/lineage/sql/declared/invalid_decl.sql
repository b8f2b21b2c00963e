-- reads: _lin_decl_res, models, reg_model_aliases, _lin_by_lower
-- produces: _lin_invalid_decl
-- params: sid=1
-- Problem rows (model_id, problem) 'invalid_declaration': a declared parent that is not valid, and card
-- values staging already refused (not even id-shaped: '../../etc/passwd'). The model falls through to
-- inference. card_parents lists card_data.base_model (store.staging.card_parents_sql), valid_p is the
-- valid-Hub-id test on p (names.valid_hub_id_sql).
SELECT DISTINCT child_id AS model_id, 'invalid_declaration' AS problem FROM _lin_decl_res WHERE NOT valid
UNION
SELECT DISTINCT id, 'invalid_declaration' FROM (
    SELECT id, regexp_replace(trim(p0), ${url}, '') AS p FROM (SELECT id, unnest(${card_parents}) AS p0
    FROM models WHERE snapshot_id = ${sid} AND card_data IS NOT NULL
      -- substring tests before any JSON parse: only a card whose stored (valid) parents are missing,
      -- or that lists several, can hold a value staging refused
      AND contains(CAST(card_data AS VARCHAR), '"base_model"')
      AND (array_length(coalesce(base_models, [])) = 0 OR regexp_matches(CAST(card_data AS VARCHAR),
                                                                 '"base_model": ?\['))
)) b
WHERE p <> '' AND NOT ${valid_p}
  AND NOT EXISTS (SELECT 1 FROM reg_model_aliases a WHERE a.model_id_lower = lower(b.p))
  AND NOT EXISTS (SELECT 1 FROM _lin_by_lower m WHERE m.id_lower = lower(b.p))
