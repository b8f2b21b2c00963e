-- reads: _lin_decl_all, reg_model_aliases
-- produces: _lin_decl_res
-- The resolved declarations with their registry legacy alias and whether the parent is valid: a well-formed
-- namespaced id, a registry legacy alias ('gpt2'), or an id the snapshot holds. valid_parent is the
-- valid-Hub-id test on r.parent_id (names.valid_hub_id_sql).
SELECT r.*, a.canonical_id,
       CASE WHEN r.resolved IS NOT NULL OR a.model_id_lower IS NOT NULL THEN TRUE   -- most rows: no regex
            ELSE ${valid_parent} END AS valid
FROM _lin_decl_all r LEFT JOIN reg_model_aliases a ON a.model_id_lower = lower(r.parent_id)
