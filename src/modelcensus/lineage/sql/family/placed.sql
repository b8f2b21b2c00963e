-- reads: _lin_fam, _lin_fam_ck
-- produces: _lin_fam_placed
-- The tier-3 edges of the single winners (not first-party, not the model itself), at the checkpoint
-- _lin_fam_ck chose, else at the family's root as before; the distill series by config may still replace
-- some (series.sql, edges.sql).
SELECT f.child_id, coalesce(k.model_id, f.parent_id) AS parent_id, 'finetune' AS relation, TRUE AS inferred,
       f.grade,
       CASE f.grade WHEN 'config' THEN 'config signature of family '
                    WHEN 'tokenizer' THEN 'tokenizer signature of family '
                    ELSE 'name pattern of family ' END || f.family || ' (' || f.signals || ')'
       || CASE WHEN k.how IS NOT NULL AND k.how <> '' THEN '; checkpoint by ' || k.how ELSE '' END AS evidence,
       3 AS tier, 3 AS kind_rank
FROM _lin_fam f LEFT JOIN _lin_fam_ck k ON k.child_id = f.child_id
WHERE f.ties = 1 AND f.pub_org IS DISTINCT FROM f.root_org
  AND lower(coalesce(k.model_id, f.parent_id)) <> lower(f.child_id)
