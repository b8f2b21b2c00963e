-- reads: _lin_fam_sig, _lin_undecided, _lin_close
-- produces: _lin_fam_named
-- The signals with the name pattern added (+1), and the families only a name pattern names.
-- name_hits: one branch per family with its combined pattern as a constant (edges_family.name_hits_sql),
-- over _lin_undecided (every family) and _lin_close (that family only).
WITH nm AS (${name_hits})
SELECT s.id, s.family, s.shape_root, s.arch_hit, s.vocab_hit, s.tok_hit, n.id IS NOT NULL AS name_hit,
       round(s.score + CASE WHEN n.id IS NOT NULL THEN 1 ELSE 0 END, 3) AS score
FROM _lin_fam_sig s LEFT JOIN nm n ON n.id = s.id AND n.family = s.family
UNION ALL
SELECT n.id, n.family, NULL, FALSE, FALSE, FALSE, TRUE, 1 FROM nm n
ANTI JOIN _lin_fam_sig s ON s.id = n.id AND s.family = n.family
