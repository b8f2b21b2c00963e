-- reads: _lin_fam_cand, reg_family_signatures, _lin_fam_shapes, reg_family_tokens, _lin_contra
-- produces: _lin_fam_sig
-- Config and tokenizer signals per (candidate, family), scored as registry_match scores them: architecture
-- and vocabulary of one shape (config), a vocabulary alone or the family's own special tokens (tokenizer).
-- A family the config has just ruled out as the declared parent's is not the child's either (an R1
-- fine-tune on Qwen carries DeepSeek's tokens): left out before deciding which names may break a tie.
WITH pairs AS (   -- equi-joins only: an OR join would be a nested loop over the snapshot
    SELECT c.id, s.family, s.shape FROM _lin_fam_cand c JOIN reg_family_signatures s
      ON s.model_type = lower(trim(c.model_type))
    UNION
    SELECT c.id, s.family, s.shape FROM (SELECT id, unnest(architectures) AS a FROM _lin_fam_cand) c
      JOIN reg_family_signatures s ON s.architecture = c.a
    UNION
    SELECT c.id, s.family, s.shape FROM _lin_fam_cand c JOIN reg_family_signatures s ON s.vocab_size = c.vocab
),
hit AS (
    SELECT p.id, p.family, p.shape, sh.root_model, sh.vocabs,
           list_contains(sh.mts, lower(trim(c.model_type)))
             OR list_has_any(sh.archs, coalesce(c.architectures, [])) AS a,
           coalesce(list_contains(sh.hs, c.hidden), FALSE) AS h,
           coalesce(list_contains(sh.vocabs, c.vocab), FALSE) AS v0
    FROM pairs p JOIN _lin_fam_shapes sh ON sh.family = p.family AND sh.shape = p.shape
    JOIN _lin_fam_cand c ON c.id = p.id
),
ranked AS (
    SELECT id, family, shape, root_model, a, h,
           v0 OR (array_length(vocabs) = 0 AND h AND a) AS v
    FROM hit
),
cfg AS (   -- the best shape per family; the first listed on a tie
    SELECT id, family, root_model, a, v, h FROM ranked
    WHERE a OR v
    QUALIFY row_number() OVER (
        PARTITION BY id, family
        ORDER BY CASE WHEN a AND v THEN 4 WHEN v THEN 2 ELSE 1 END + CASE WHEN h THEN 1 ELSE 0 END DESC,
                 shape) = 1
),
owners AS (SELECT token, count(DISTINCT family) AS n FROM reg_family_tokens GROUP BY token),
tok AS (
    SELECT c.id, t.family, count(*) FILTER (WHERE t.exclusive) AS excl, count(*) AS shared,
           fsum(1.0 / o.n) AS shared_w
    FROM (SELECT DISTINCT id, unnest(tokens) AS token FROM _lin_fam_cand) c
    JOIN reg_family_tokens t ON t.token = c.token JOIN owners o ON o.token = t.token
    GROUP BY c.id, t.family
),
fams AS (SELECT id, family FROM cfg UNION SELECT id, family FROM tok)
SELECT f.id, f.family, g.root_model AS shape_root,
       coalesce(g.a, FALSE) AS arch_hit, coalesce(g.v, FALSE) AS vocab_hit,
       coalesce(t.excl, 0) > 0 AS tok_hit, FALSE AS name_hit,
       -- rounded: the sum of 1/n weights differs in its last bits between engines (and summation orders),
       -- and candidates are ranked on this score
       round(CASE WHEN g.a AND g.v THEN 5 + CASE WHEN g.h THEN 0.5 ELSE 0 END
                  WHEN g.v THEN 2 WHEN g.a THEN 1 ELSE 0 END
             + CASE WHEN coalesce(t.excl, 0) > 0 THEN 3 + 0.1 * (t.shared - t.excl)
                    WHEN t.shared > 0 THEN 0.5 * t.shared_w ELSE 0 END, 9) AS score
FROM fams f
LEFT JOIN cfg g ON g.id = f.id AND g.family = f.family
LEFT JOIN tok t ON t.id = f.id AND t.family = f.family
WHERE NOT EXISTS (SELECT 1 FROM (SELECT child_id, unnest(parent_families) AS family FROM _lin_contra) x
                  WHERE x.child_id = f.id AND x.family = f.family)
