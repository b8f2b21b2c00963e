-- reads: _lin_fam_primary, _lin_by_lower
-- produces: _lin_ckpt
-- Every registry family root with the keys its name gives (word, generation, size, variant, instruct), in
-- the snapshot's spelling when it holds the model. ckpt_keys: names.key_columns_sql('r.nm').
SELECT r.family, coalesce(m.id, r.model_id) AS model_id, lower(r.model_id) AS id_lower, r.rank,
       m.id IS NOT NULL AS present, ${ckpt_keys}
FROM (SELECT family, model_id, rank, lower(substr(model_id, strpos(model_id, '/') + 1)) AS nm
      FROM _lin_fam_primary) r
LEFT JOIN _lin_by_lower m ON m.id_lower = lower(r.model_id)
