-- reads: _lin_fam, _lin_fam_cand, _lin_ckpt, reg_teacher_names, reg_teacher_students
-- produces: _lin_fam_ck
-- The checkpoint each single winner (not first-party) is placed at, and how it was chosen: the teacher
-- list's distill series first; else the family root whose name has the generation the child's name states
-- and its size (from the name, else the stored parameter count within PARAMS_TOLERANCE of it); else, with
-- a config shape, the shape's generation and that size. name_keys: names.key_columns_sql('c.name_lower').
WITH w0 AS (
    SELECT f.child_id, f.family, f.shape_root, c.name_lower AS nm, c.params, c.dteacher,
           regexp_extract(regexp_replace(c.name_lower, '^meta[-_]', ''), ${key_size}, 2) AS size_txt,
           ${name_keys}
    FROM _lin_fam f JOIN _lin_fam_cand c ON c.id = f.child_id
    WHERE f.ties = 1 AND f.pub_org IS DISTINCT FROM f.root_org
),
words AS (SELECT DISTINCT family, word FROM _lin_ckpt),
ment AS (   -- generation mentions in names that do not start with one of the family's checkpoint words
    -- (t, i): the i-th mention; the positions are unnested, not the list (Spark has no generate_subscripts)
    SELECT child_id, family, ms[i] AS t, i FROM (
        SELECT child_id, family, ms, unnest(generate_series(1, array_length(ms))) AS i FROM (
            SELECT w0.child_id, w0.family, regexp_extract_all(w0.nm, ${gen_mention}, 1) AS ms
            FROM w0 ANTI JOIN words ws ON ws.family = w0.family AND ws.word = w0.word)
        WHERE array_length(ms) > 0)   -- Spark's sequence(1, 0) counts down
),
first_m AS (   -- "hermes-3-llama-3.1": the first mention of a checkpoint word (llama), with its generation
    SELECT m.child_id, ws.word, regexp_extract(m.t, '([0-9]+([.][0-9]+)?)$', 1) AS gen
    FROM ment m JOIN words ws ON ws.family = m.family AND ws.word = regexp_extract(m.t, '^([a-z]+)', 1)
    QUALIFY row_number() OVER (PARTITION BY m.child_id ORDER BY m.i) = 1
),
w AS (
    SELECT w0.child_id, w0.family, w0.shape_root, w0.nm, w0.params, w0.dteacher, w0.size_txt,
           coalesce(fm.word, w0.word) AS word, coalesce(fm.gen, w0.gen) AS gen,
           coalesce(split_part(fm.gen, '.', 1), w0.major) AS major, w0.size, w0.variant, w0.inst
    FROM w0 LEFT JOIN first_m fm ON fm.child_id = w0.child_id
),
series AS (   -- the teacher list's distill series: "<word>[gen]-<size>b" of a listed teacher
    SELECT w.child_id, k.model_id, 'distill series of ' || s.teacher_id AS how
    FROM w JOIN reg_teacher_names tn ON w.dteacher IS NOT NULL
         AND (w.dteacher = tn.name OR ends_with(w.dteacher, '-' || tn.name)
              OR ends_with(w.dteacher, '_' || tn.name) OR ends_with(w.dteacher, '.' || tn.name))
    JOIN reg_teacher_students s ON s.teacher_id = tn.teacher_id
         AND s.student_key IN (w.word || w.gen || '-' || w.size_txt || 'b', w.word || '-' || w.size_txt || 'b')
    JOIN _lin_ckpt k ON k.id_lower = lower(s.model_id) AND k.family = w.family
    QUALIFY row_number() OVER (PARTITION BY w.child_id
                               ORDER BY s.student_key = w.word || w.gen || '-' || w.size_txt || 'b' DESC,
                                        length(tn.name) DESC) = 1
),
shape AS (   -- the generation a matched vocabulary fixes (Llama 2's 32000 is not Llama 3's 128256)
    SELECT DISTINCT w.child_id, k.word, k.major FROM w JOIN _lin_ckpt k
    ON k.id_lower = lower(w.shape_root) AND k.family = w.family),
cand AS (
    SELECT w.child_id, k.model_id, k.rank, k.present, w.gen <> '' AND k.word = w.word AS gen_given,
           coalesce(CASE WHEN w.size IS NOT NULL THEN k.size = w.size
                         WHEN w.params > 0
                         THEN abs(k.size - w.params / 1e9) <= ${params_tolerance} * w.params / 1e9
                    END, FALSE) AS size_ok,
           k.variant = w.variant AS var_eq, k.inst = w.inst AS inst_eq, k.gen AS kgen, k.size AS ksize
    FROM w JOIN _lin_ckpt k ON k.family = w.family
    LEFT JOIN shape sh ON sh.child_id = w.child_id
    WHERE CASE WHEN sh.major IS NOT NULL AND sh.major <> ''
               THEN k.word = sh.word AND k.major = sh.major
                    AND (w.gen = '' OR k.gen = w.gen OR w.word <> k.word)
               WHEN w.gen <> '' THEN k.word = w.word AND k.gen = w.gen
               ELSE k.word = w.word END
),
best AS (
    SELECT * FROM cand WHERE size_ok OR gen_given
    QUALIFY row_number() OVER (PARTITION BY child_id ORDER BY size_ok DESC, var_eq DESC, inst_eq DESC,
                                                               present DESC, rank) = 1
)
SELECT w.child_id, coalesce(s.model_id, b.model_id) AS model_id,
       coalesce(s.how, 'generation ' || nullif(b.kgen, '') || CASE WHEN b.size_ok THEN ', ' ELSE '' END, '')
       || CASE WHEN s.how IS NULL AND b.size_ok THEN 'size ' || b.ksize || 'B' ELSE '' END AS how
FROM w LEFT JOIN series s ON s.child_id = w.child_id LEFT JOIN best b ON b.child_id = w.child_id
WHERE coalesce(s.model_id, b.model_id) IS NOT NULL
