-- reads: reg_family_signatures
-- produces: _lin_fam_shapes
-- One row per config shape (generation) of a family: architecture, vocabulary and hidden size are matched on
-- the SAME shape, as registry_match does (Llama 2 and TinyLlama share llama + 32000).
SELECT family, shape,
       coalesce(list(DISTINCT model_type ORDER BY model_type) FILTER (WHERE model_type IS NOT NULL), []) AS mts,
       coalesce(list(DISTINCT architecture ORDER BY architecture) FILTER (WHERE architecture IS NOT NULL), []) AS archs,
       coalesce(list(DISTINCT vocab_size ORDER BY vocab_size) FILTER (WHERE vocab_size IS NOT NULL), []) AS vocabs,
       coalesce(any_value(hidden_sizes), []) AS hs, any_value(root_model) AS root_model
FROM reg_family_signatures GROUP BY family, shape
