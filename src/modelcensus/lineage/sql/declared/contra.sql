-- reads: _lin_cx, reg_family_signatures, reg_family_tokens, reg_family_roots
-- produces: _lin_contra
-- _lin_contra(child_id, parent_id, decl_grade, decl_source, parent_families, why): the declared parents the
-- child's config rules out, with what declared them
-- (reasons A-E, see edges_declared._contradictions). vocab_slack: tokens a fine-tune may add to its
-- parent's vocabulary; params_ratio: a parent this many times the child's size and of another type is not its base; moe: the
-- mixture-of-experts model types (edges_declared.MOE_MODEL_TYPE).
WITH cfam AS (   -- the child's families: by architecture and vocabulary of one shape (A), by model_type (B)
    SELECT child_id, parent_id, family, bool_or(by_vocab) AS by_vocab FROM (   -- equi-joins, no OR join
        SELECT x.child_id, x.parent_id, s.family, s.vocab_size = x.cv AS by_vocab
        FROM _lin_cx x JOIN reg_family_signatures s ON s.model_type = x.cmt
        UNION ALL
        SELECT x.child_id, x.parent_id, s.family, s.vocab_size = x.cv
        FROM (SELECT child_id, parent_id, cv, unnest(carch) AS a FROM _lin_cx) x
        JOIN reg_family_signatures s ON s.architecture = x.a
    ) GROUP BY ALL
),
tfam AS (   -- the child's families by special tokens only one family lists (D)
    SELECT DISTINCT x.child_id, x.parent_id, t.family
    FROM (SELECT child_id, parent_id, unnest(ctok) AS token FROM _lin_cx) x
    JOIN reg_family_tokens t ON t.token = x.token AND t.exclusive
),
pfam AS (   -- the parent's families: from its own config, else as a listed registry root
    SELECT x.child_id, x.parent_id, s.family FROM _lin_cx x JOIN reg_family_signatures s ON s.model_type = x.pmt
    WHERE x.pv IS NULL OR s.vocab_size IS NULL OR s.vocab_size = x.pv
    UNION
    SELECT x.child_id, x.parent_id, r.family FROM _lin_cx x JOIN reg_family_roots r
      ON r.model_id_lower = lower(x.parent_id) WHERE x.pmt IS NULL
),
pshape AS (   -- what the parent may have: its own config, else its families' shapes
    SELECT x.child_id, x.parent_id, x.pv AS v, x.pmt AS mt FROM _lin_cx x WHERE x.pmt IS NOT NULL
    UNION
    SELECT p.child_id, p.parent_id, s.vocab_size, s.model_type FROM pfam p
    JOIN _lin_cx x ON x.child_id = p.child_id AND x.parent_id = p.parent_id AND x.pmt IS NULL
    JOIN reg_family_signatures s ON s.family = p.family
),
pf_agg AS (SELECT child_id, parent_id, list(DISTINCT family ORDER BY family) AS pf FROM pfam GROUP BY ALL),
cf_agg AS (
    SELECT child_id, parent_id, list(DISTINCT family ORDER BY family) FILTER (WHERE by_vocab) AS cf_vocab,
           list(DISTINCT family ORDER BY family) AS cf_mt
    FROM cfam GROUP BY ALL
),
ps_agg AS (
    SELECT s.child_id, s.parent_id, bool_or(abs(s.v - x.cv) <= ${vocab_slack}) AS vocab_fits,
           bool_or(s.mt = x.cmt) AS mt_fits, count(s.mt) AS n_mt
    FROM pshape s JOIN _lin_cx x ON x.child_id = s.child_id AND x.parent_id = s.parent_id GROUP BY ALL
),
tf_agg AS (SELECT child_id, parent_id, list(DISTINCT family ORDER BY family) AS tf FROM tfam GROUP BY ALL),
judged AS (
    SELECT x.*, p.pf, c.cf_vocab, c.cf_mt, t.tf, s.vocab_fits, s.mt_fits, coalesce(s.n_mt, 0) AS n_mt
    FROM _lin_cx x
    JOIN pf_agg p ON p.child_id = x.child_id AND p.parent_id = x.parent_id
    LEFT JOIN cf_agg c ON c.child_id = x.child_id AND c.parent_id = x.parent_id
    LEFT JOIN tf_agg t ON t.child_id = x.child_id AND t.parent_id = x.parent_id
    LEFT JOIN ps_agg s ON s.child_id = x.child_id AND s.parent_id = x.parent_id
),
flagged AS (
    SELECT *,
           array_length(coalesce(pf, [])) > 0 AND a.cv IS NOT NULL AND array_length(coalesce(cf_vocab, [])) > 0
             AND NOT list_has_any(pf, cf_vocab) AND NOT coalesce(vocab_fits, FALSE) AS by_a,
           array_length(coalesce(pf, [])) > 0 AND n_mt > 0 AND NOT coalesce(mt_fits, FALSE) AND cmt <> 'llama'
             AND array_length(coalesce(cf_mt, [])) > 0 AND NOT list_has_any(pf, cf_mt) AS by_b,
           pmt IS NOT NULL AND pmt <> cmt AND regexp_matches(pmt, ${moe})
             AND NOT regexp_matches(cmt, ${moe})
             AND array_length(coalesce(cf_mt, [])) > 0             -- a model type the registry knows, not junk
             AND relation <> 'quantized'                  -- llama.cpp lays a Mixtral out as 'llama'
             -- one config shape (generation) listing both types: dense Qwen3 from Qwen3 MoE, Mistral from
             -- Mixtral; DeepSeek's old llama shape is not R1's deepseek_v3 one
             AND NOT EXISTS (SELECT 1 FROM reg_family_signatures s1 JOIN reg_family_signatures s2
                             ON s1.family = s2.family AND s1.shape = s2.shape
                             WHERE s1.model_type = a.pmt AND s2.model_type = a.cmt) AS by_e,
           pp IS NOT NULL AND cp > 0 AND pp >= ${params_ratio} * cp AND pmt IS NOT NULL AND pmt <> cmt
             AND NOT adapterish AS by_c,
           cmt = 'llama' AND array_length(coalesce(pf, [])) > 0 AND n_mt > 0 AND NOT coalesce(mt_fits, FALSE)
             AND array_length(coalesce(tf, [])) > 0 AND NOT list_has_any(pf, tf) AS by_d
    FROM judged a
)
SELECT child_id, parent_id, decl_grade, decl_source, coalesce(pf, []) AS parent_families,
       concat_ws('; ',
           CASE WHEN by_a THEN 'vocabulary ' || cv || ' (family ' || array_to_string(cf_vocab, '/')
                || ') is not the parent''s' END,
           CASE WHEN by_b THEN 'architecture ' || cmt || ' (family ' || array_to_string(cf_mt, '/')
                || ') is not the parent''s (' || coalesce(pmt, 'family ' || array_to_string(pf, '/'))
                || ')' END,
           CASE WHEN by_c THEN round(cp / 1e9, 1) || 'B parameters against the parent''s '
                || round(pp / 1e9, 1) || 'B (' || pmt || ')' END,
           CASE WHEN by_d AND NOT by_b THEN 'special tokens of ' || array_to_string(tf, '/') || ' on a '
                || cmt || ' body, the parent is ' || coalesce(pmt, 'family ' || array_to_string(pf, '/')) END,
           CASE WHEN by_e AND NOT by_b THEN 'a dense ' || cmt || ' body is not a fine-tune of the '
                || 'mixture-of-experts ' || pmt END)
         AS why
FROM flagged WHERE by_a OR by_b OR by_c OR by_d OR by_e
