-- reads: _lin_series, _lin_fam, _lin_fam_score, _lin_fam_cand, reg_families, _lin_fam_edges
-- produces: _lin_fam_problems
-- ambiguous_signature: a body of a size in no distill series (it names the series' family, not its
-- checkpoint); a tie at the top, or only non-decisive signals (architecture alone) for families none of which
-- the publisher owns, for a model tier 3 did not place after all.
SELECT child_id AS model_id, 'ambiguous_signature' AS problem FROM _lin_series WHERE NOT sized
UNION ALL
SELECT a.* FROM (
    SELECT DISTINCT child_id AS model_id, 'ambiguous_signature' AS problem FROM _lin_fam WHERE ties > 1
    UNION
    SELECT s.id, 'ambiguous_signature' FROM _lin_fam_score s JOIN _lin_fam_cand c ON c.id = s.id
    LEFT JOIN reg_families f ON f.family = s.family
    GROUP BY s.id HAVING NOT bool_or(s.decisive) AND NOT bool_or(coalesce(f.root_org = c.pub_org, FALSE))
) a ANTI JOIN (SELECT child_id FROM _lin_fam_edges) e ON e.child_id = a.model_id
