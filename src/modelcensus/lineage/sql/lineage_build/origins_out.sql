-- reads: _lin_r, _lin_who, _lin_root_family, _lin_teacher, _lin_m, reg_family_roots, _lin_cycle_nodes, _lin_problems
-- produces: _lin_origins_out
-- params: grade_name=g
-- One origins row per (model, root), in the store's column names: publisher, root, weight, depth, grade
-- (grade_name is grades.grade_name_sql('r.g')), root family, teacher, problems (a cycle; a root the
-- snapshot does not hold and the registry does not list; the edge rules' problems).
SELECT r.model_id,
       p.namespace AS publisher_namespace, p.org AS publisher_org, p.country AS publisher_country,
       p.org_type AS publisher_org_type,
       r.root_id, ro.org AS root_org, ro.country AS root_country, ro.org_type AS root_org_type,
       r.weight, r.depth, ${grade_name} AS grade, rf.family,
       t.teacher_id, tw.org AS teacher_org, tw.country AS teacher_country,
       list_filter([
           CASE WHEN r.cyc OR cn.model_id IS NOT NULL THEN 'cycle' END,
           CASE WHEN m.id IS NULL AND fr.model_id_lower IS NULL THEN 'missing_parent:' || r.root_id END
       ], lambda x: x IS NOT NULL) || coalesce(pr.problems, []) AS problems
FROM _lin_r r
LEFT JOIN _lin_who p ON p.model_id = r.model_id
LEFT JOIN _lin_who ro ON ro.model_id = r.root_id
LEFT JOIN _lin_root_family rf ON rf.root_id = r.root_id
LEFT JOIN _lin_teacher t ON t.model_id = r.model_id
LEFT JOIN _lin_who tw ON tw.model_id = t.teacher_id
LEFT JOIN _lin_m m ON m.id = r.root_id
LEFT JOIN (SELECT DISTINCT model_id_lower FROM reg_family_roots) fr ON fr.model_id_lower = lower(r.root_id)
LEFT JOIN _lin_cycle_nodes cn ON cn.model_id = r.root_id
LEFT JOIN (SELECT model_id, list(DISTINCT problem ORDER BY problem) AS problems FROM _lin_problems
           GROUP BY model_id) pr ON pr.model_id = r.model_id
