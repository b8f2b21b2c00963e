-- reads: _lin_decl, _lin_stated_res
-- produces: _lin_decl
-- _lin_decl plus the stated bases (tier 1, grade 'tag': the statement is registry knowledge, not in the
-- record the snapshot holds), a parent the snapshot lacks kept under its listed id.
SELECT child_id, parent_id, relation, inferred, grade, evidence, tier, present FROM _lin_decl
UNION ALL
SELECT child_id, coalesce(resolved, base_id), 'finetune', FALSE, 'tag',
       'card (publisher''s own, stated-bases list): ' || evidence
       || CASE WHEN resolved IS NULL THEN '; parent not in snapshot' ELSE '' END, 1, resolved IS NOT NULL
FROM _lin_stated_res WHERE lower(coalesce(resolved, base_id)) <> lower(child_id)
