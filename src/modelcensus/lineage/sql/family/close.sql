-- reads: _lin_fam_sig, _lin_fam_cand
-- produces: _lin_close
-- For decided candidates, the families a name (+1) could lift to the top: a name breaks ties, as in
-- registry_match; only these families' patterns are tried on them.
WITH top AS (SELECT id, max(score) AS best FROM _lin_fam_sig WHERE vocab_hit OR tok_hit GROUP BY id)
SELECT s.id, s.family, c.name_lower FROM _lin_fam_sig s JOIN top t ON t.id = s.id
JOIN _lin_fam_cand c ON c.id = s.id
WHERE s.score + 1 >= t.best
