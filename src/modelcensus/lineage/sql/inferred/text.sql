-- reads: _lin_text_res, _lin_m, _lin_contra, _lin_teacher_res
-- produces: _lin_text
-- Card-text edges (continued pretraining: tier 2; teachers: tier 4) and listed teachers, resolved. A
-- teacher the card text already names for the same child is kept once (the card text's row).
SELECT DISTINCT r.child_id, coalesce(r.resolved, r.target) AS parent_id, r.relation, TRUE AS inferred,
       'tag' AS grade,
       r.evidence || CASE WHEN r.resolved IS NULL THEN ' (not in snapshot)' ELSE '' END AS evidence,
       CASE WHEN r.relation <> 'distillation' THEN 2
            WHEN r.child_id IN (SELECT child_id FROM _lin_contra) THEN 9 ELSE 4 END AS tier, 0 AS kind_rank
FROM _lin_text_res r JOIN _lin_m c ON c.id = r.child_id
WHERE lower(coalesce(r.resolved, r.target)) <> c.id_lower
UNION ALL
-- a child whose declared base the config ruled out is not rooted at its teacher either: display only
SELECT t.child_id, coalesce(t.resolved, t.target), 'distillation', TRUE,
       t.grade, t.evidence,
       CASE WHEN t.child_id IN (SELECT child_id FROM _lin_contra) THEN 9 ELSE t.tier END, t.kind_rank
-- (any child, not only observed ones: a stated model the snapshot only references keeps its teacher)
FROM _lin_teacher_res t
WHERE lower(coalesce(t.resolved, t.target)) <> lower(t.child_id)
  AND NOT EXISTS (SELECT 1 FROM _lin_text_res r WHERE r.child_id = t.child_id AND r.relation = 'distillation'
                  AND lower(coalesce(r.resolved, r.target)) = lower(coalesce(t.resolved, t.target)))
