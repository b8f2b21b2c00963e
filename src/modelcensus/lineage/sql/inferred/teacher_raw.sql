-- reads: _lin_m, reg_teacher_names, models, reg_teacher_datasets, _lin_stated_nodes, reg_stated, _lin_contra
-- produces: _lin_teacher_raw
-- params: sid=1
-- Listed teachers, before id resolution: by the teacher part of a distill name, by a reasoning-trace dataset
-- in the card, by a listed name elsewhere in a distill name, by the stated-bases list, or a declared base the
-- config contradicts. teacher_match: the teacher part ends with the listed name at a token edge;
-- dataset_prefilter: the card may name a listed trace dataset (computed from reg_teacher_datasets).
-- (an API-only teacher is never a structural parent: tier 9, display only). grade: the edge's grade.
SELECT m.id AS child_id, tn.teacher_id AS target,
       'name: ' || split_part(m.id, '/', -1) || ' names its teacher (teacher list: ' || tn.name || ')'
         AS evidence, CASE WHEN tn.api THEN 9 ELSE 4 END AS tier, 1 AS kind_rank, 'name' AS grade
FROM _lin_m m JOIN reg_teacher_names tn ON ${teacher_match}
WHERE m.dteacher IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY m.id ORDER BY length(tn.name) DESC, tn.teacher_id) = 1
UNION ALL
-- one edge per (model, teacher) naming every trace dataset of that teacher: the origin's teacher is
-- the one most of the model's listed trace datasets come from (build._teachers)
SELECT d.id, t.teacher_id, 'card datasets: ' || string_agg(DISTINCT d.ds, ', ' ORDER BY d.ds)
         || ' (reasoning traces of the teacher, teacher list)', 9, 2, 'name'
FROM (SELECT id, ds FROM (
        SELECT id, unnest(CASE json_type(card_data, '$.datasets')
                          WHEN 'ARRAY' THEN json_extract_string(card_data, '$.datasets[*]')
                          WHEN 'VARCHAR' THEN [json_extract_string(card_data, '$.datasets')] END) AS ds
        FROM models WHERE snapshot_id = ${sid} AND card_data IS NOT NULL
          AND ${dataset_prefilter})) d
JOIN reg_teacher_datasets t ON t.dataset_lower = lower(d.ds)
GROUP BY d.id, t.teacher_id
UNION ALL   -- a distill name naming a listed teacher elsewhere than before "-Distill-" (display only:
            -- "R1-SmolLM2-135M-Distill" says who taught, not what the body is)
SELECT m.id, tn.teacher_id,
       'name: ' || split_part(m.id, '/', -1) || ' names a distillation and its teacher (teacher list: '
         || tn.name || ')', 9, 1, 'name'
FROM _lin_m m JOIN reg_teacher_names tn
  ON regexp_matches(m.base_name, ${token_edge_left} || regexp_escape(tn.name) || ${token_edge_right})
WHERE contains(m.name_lower, 'distill')
  -- a short name ("r1" is also a release or round) counts only on a causal language model's body:
  -- "bert-distill-squad-r1" or "whisper-distill-r1" were taught by no reasoning model
  AND (length(tn.name) >= 3
       OR array_length(list_filter(coalesce(m.architectures, []), lambda a: ends_with(a, 'ForCausalLM'))) > 0)
QUALIFY row_number() OVER (PARTITION BY m.id ORDER BY length(tn.name) DESC, tn.teacher_id) = 1
UNION ALL   -- the teacher the publisher's own card names (stated-bases list; display only)
SELECT n.id, s.teacher_id, 'card (publisher''s own, stated-bases list): distilled from ' || s.teacher_id, 9, 0,
       'tag'
FROM _lin_stated_nodes n
JOIN (SELECT DISTINCT model_id_lower, teacher_id FROM reg_stated WHERE teacher_id IS NOT NULL) s
  ON s.model_id_lower = n.id_lower
UNION ALL   -- a declared base the config rules out: recorded as the likely teacher (display only), with the grade
            -- and source of what declared it (a Hub tag or a GGUF file is not the author's card: review22 R22-6)
SELECT x.child_id, x.parent_id, x.decl_source || ${contradicted}, 9, 3, x.decl_grade
FROM _lin_contra x
