-- reads: _lin_fam_score, _lin_fam_primary, _lin_m, reg_families, _lin_fam_cand
-- produces: _lin_fam
-- The winning family of each candidate (ties > 1: ambiguous), pointed at the matched generation's root or
-- the family's first listed root, with the signals that decided it and both organisations (first-party
-- models are roots, not members).
WITH d AS (SELECT * FROM _lin_fam_score WHERE decisive),
top AS (SELECT id, max(score) AS best FROM d GROUP BY id),
winners AS (
    SELECT d.*, count(*) OVER (PARTITION BY d.id) AS ties
    FROM d JOIN top t ON t.id = d.id AND d.score = t.best
),
root_model AS (   -- the family's first listed root present in the snapshot, else its first listed
    SELECT r.family, coalesce(m.id, r.model_id) AS root_id
    FROM _lin_fam_primary r LEFT JOIN _lin_m m ON m.id_lower = lower(r.model_id)
    QUALIFY row_number() OVER (PARTITION BY r.family ORDER BY m.id IS NULL, r.rank) = 1
),
shape_root AS (   -- a matched generation's root, in the snapshot's spelling when present
    SELECT DISTINCT w.shape_root, coalesce(m.id, w.shape_root) AS root_id
    FROM (SELECT DISTINCT shape_root FROM winners WHERE shape_root IS NOT NULL) w
    LEFT JOIN (SELECT id_lower, min(id) AS id FROM _lin_m GROUP BY id_lower) m
      ON m.id_lower = lower(w.shape_root)
)
SELECT w.id AS child_id, coalesce(sr.root_id, rm.root_id) AS parent_id, w.family, w.grade, w.ties,
       CASE WHEN w.vocab_hit THEN w.shape_root END AS shape_root,
       concat_ws(', ', CASE WHEN w.arch_hit THEN 'model_type=' || coalesce(c.model_type, '?') END,
                 CASE WHEN w.vocab_hit THEN 'vocab_size=' || c.vocab END,
                 CASE WHEN w.tok_hit THEN 'family special tokens' END,
                 CASE WHEN w.name_hit THEN 'name pattern' END) AS signals,
       f.root_org, c.pub_org
FROM winners w JOIN root_model rm ON rm.family = w.family
LEFT JOIN shape_root sr ON sr.shape_root = w.shape_root
JOIN reg_families f ON f.family = w.family
JOIN _lin_fam_cand c ON c.id = w.id
