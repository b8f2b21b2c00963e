-- reads: _lin_decl0, _lin_m, reg_family_roots
-- produces: _lin_cx
-- The declared edges the config check judges, with both sides' features: only those that can contradict
-- (another model type or vocabulary, or a parent known by the registry alone). full_weights matches full
-- weight files: a repo holding them is not a bare adapter, whatever its name or adapter_config.json say.
-- decl_grade and decl_source say what declared the parent (decl0's grade and the head of its evidence).
SELECT d.child_id, d.parent_id, d.relation, d.grade AS decl_grade,
       split_part(d.evidence, '; ', 1) AS decl_source,   -- 'card base_model', 'Hub baseModels', ...
       c.vocab AS cv, c.params AS cp, lower(trim(c.model_type)) AS cmt,
       c.architectures AS carch, c.tokens AS ctok, p.vocab AS pv, p.params AS pp,
       lower(trim(p.model_type)) AS pmt, p.architectures AS parch,
       -- adapter weights are small by nature, whatever the relation says (unless the repo also holds
       -- the full weights: the stored parameter count is then the whole model's)
       (regexp_matches(c.name_lower, '(lora|adapter|peft)')
         OR coalesce(list_contains(c.files, 'adapter_config.json'), FALSE))
         AND NOT coalesce(array_length(list_filter(c.files, lambda f: regexp_matches(f, ${full_weights}))) > 0, FALSE)
         AS adapterish
FROM _lin_decl0 d JOIN _lin_m c ON c.id = d.child_id
LEFT JOIN _lin_m p ON p.id = d.parent_id
WHERE c.model_type IS NOT NULL
  -- an adapter repo's config is its base's, unless it also holds the full weights (a merged upload)
  AND (d.relation <> 'adapter'
       OR coalesce(array_length(list_filter(c.files, lambda f: regexp_matches(f, ${full_weights}))) > 0, FALSE))
  -- only what can contradict: another model type or vocabulary, or a parent known by the registry alone
  AND CASE WHEN p.model_type IS NOT NULL
           THEN lower(trim(c.model_type)) <> lower(trim(p.model_type))
                OR abs(c.vocab - p.vocab) > ${vocab_slack}
           ELSE lower(d.parent_id) IN (SELECT model_id_lower FROM reg_family_roots) END
