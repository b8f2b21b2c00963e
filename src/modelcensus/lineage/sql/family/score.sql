-- reads: _lin_fam_named, _lin_contra
-- produces: _lin_fam_score
-- Every (candidate, family) with its score, whether a decisive signal (vocabulary, tokens or name) is among
-- them, and the grade that signal gives.
SELECT s.*, (vocab_hit OR tok_hit OR name_hit) AS decisive,
       CASE WHEN arch_hit AND vocab_hit THEN 'config'
            WHEN vocab_hit OR tok_hit THEN 'tokenizer'
            WHEN name_hit THEN 'name' END AS grade
FROM _lin_fam_named s
-- a family the config has just ruled out as the declared parent's is not the child's either
-- (an R1 fine-tune on Qwen carries DeepSeek's tokens)
ANTI JOIN (SELECT child_id, unnest(parent_families) AS family FROM _lin_contra) x
  ON x.child_id = s.id AND x.family = s.family
