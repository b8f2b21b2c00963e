-- reads: _lin_text, _lin_fam_cand, _lin_fam_placed, reg_family_signatures, _lin_ckpt, reg_teacher_students
-- produces: _lin_series
-- The distill-series checkpoint of models no family rule placed at a checkpoint, whose teacher is named (the
-- teacher part of a distill name, or a declared base the config contradicted) and whose body is one of that
-- teacher's students: the student's family architecture, its size within PARAMS_TOLERANCE (`sized`; a body of
-- a size in no series still gets the series' family, its nearest member, flagged ambiguous).
-- name_keys / shape_keys: names.key_columns_sql of the child's name and of the shape root's name.
WITH taught AS (   -- the teacher part of a distill name, or a contradicted declaration (not trace datasets,
                   -- not a teacher named elsewhere in a name: those are display only)
    SELECT DISTINCT child_id, lower(parent_id) AS teacher_lower FROM _lin_text
    WHERE relation = 'distillation'
      AND ((starts_with(evidence, 'name:') AND contains(evidence, ' names its teacher '))
           OR contains(evidence, ${contradicted}))   -- whatever declared it
),
body AS (   -- not placed yet, or placed at a family's first root without a checkpoint rule
    SELECT c.id, lower(trim(c.model_type)) AS mt, coalesce(c.architectures, []) AS archs, c.vocab,
           c.params / 1e9 AS b, ${name_keys}
    FROM _lin_fam_cand c
    ANTI JOIN (SELECT child_id FROM _lin_fam_placed WHERE contains(evidence, '; checkpoint by ')) e
      ON e.child_id = c.id
    WHERE c.params > 0
),
shapes AS (   -- each config shape of a family with the generation of its root ("llama" 2 / 3)
    SELECT g.family, g.shape, g.model_type, g.architecture, g.vocab_size,
           ${shape_keys}
    FROM reg_family_signatures g
),
words AS (SELECT DISTINCT word FROM _lin_ckpt),
cand AS (
    SELECT b.id, s.teacher_id, s.student_key, k.model_id, k.family,
           abs(TRY_CAST(regexp_extract(s.student_key, '-([0-9.]+)b$', 1) AS DOUBLE) - b.b) AS gap, b.b
    FROM body b JOIN taught t ON t.child_id = b.id
    JOIN reg_teacher_students s ON lower(s.teacher_id) = t.teacher_lower
    JOIN _lin_ckpt k ON k.id_lower = lower(s.model_id)
    -- the body fits a shape of the student's own generation: architecture, and the vocabulary when
    -- stored (a llama body with Llama 2's 32000 tokens is no Llama-3.1 student)
    WHERE EXISTS (SELECT 1 FROM shapes g WHERE g.family = k.family AND g.word = k.word AND g.major = k.major
                  AND (g.model_type = b.mt OR list_contains(b.archs, g.architecture))
                  AND (b.vocab IS NULL OR g.vocab_size IS NULL OR abs(g.vocab_size - b.vocab) <= 256))
      -- never against what the name states: another family's word ("-Distill-Mistral-7B"), or another
      -- generation of the student's ("-Qwen3-8B" is no Qwen2.5 student)
      AND NOT (b.word <> k.word AND b.word IN (SELECT word FROM words))
      AND NOT (b.word = k.word AND b.gen <> '' AND b.gen <> k.gen)
)
SELECT c.id AS child_id, c.model_id AS parent_id, 'finetune' AS relation, TRUE AS inferred,
       -- a size in no series names the family, not the checkpoint: no stronger than a name
       CASE WHEN c.gap <= ${params_tolerance} * c.b THEN 'config' ELSE 'name' END AS grade,
       'config: a ' || c.family || ' body of ' || round(c.b, 1) || 'B taught by ' || c.teacher_id
       || ': its distill series ' || c.student_key
       || CASE WHEN c.gap <= ${params_tolerance} * c.b THEN '' ELSE ', the nearest size (none within '
               || CAST(round(${params_tolerance} * 100) AS INTEGER) || ' %: checkpoint ambiguous)' END
       || ' (teacher list)' AS evidence, 3 AS tier, 3 AS kind_rank,
       c.gap <= ${params_tolerance} * c.b AS sized
FROM cand c
-- the series' family is what the body's architecture shares with the teacher's students; a size in no
-- series (an upscaled 10B Qwen) still names that family, but not the checkpoint: flagged ambiguous
QUALIFY row_number() OVER (PARTITION BY c.id ORDER BY c.gap, c.student_key) = 1
