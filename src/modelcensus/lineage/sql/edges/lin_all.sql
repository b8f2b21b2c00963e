-- reads: _lin_decl, _lin_text, _lin_interm, _lin_conv, _lin_mirror, _lin_fam_edges
-- produces: _lin_all
-- Every candidate edge of every rule, with its tier and (inside tier 2) its kind rank.
SELECT child_id, parent_id, relation, inferred, grade, evidence, tier, 0 AS kind_rank FROM _lin_decl
UNION ALL SELECT * FROM _lin_text
UNION ALL SELECT * FROM _lin_interm
UNION ALL SELECT * FROM _lin_conv
UNION ALL SELECT * FROM _lin_mirror
UNION ALL SELECT * FROM _lin_fam_edges
