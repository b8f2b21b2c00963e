-- reads: _lin_fam_cand, _lin_fam_sig
-- produces: _lin_undecided
-- Candidates no config or tokenizer signal decides: every family's name pattern is tried on them.
SELECT c.id, c.name_lower FROM _lin_fam_cand c
ANTI JOIN (SELECT id FROM _lin_fam_sig WHERE vocab_hit OR tok_hit) d ON d.id = c.id
