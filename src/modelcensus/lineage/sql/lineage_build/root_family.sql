-- reads: _lin_who, reg_family_roots, reg_families, _lin_fam_names
-- produces: _lin_root_family
-- The registry family of each id: a listed family root first, else a family of the root's organisation
-- whose name pattern matches the id.
SELECT w.model_id AS root_id,
       coalesce(min(fr.family), min(f.family) FILTER (WHERE regexp_matches(lower(w.model_id), fn.pattern)))
         AS family
FROM _lin_who w
LEFT JOIN reg_family_roots fr ON fr.model_id_lower = lower(w.model_id)
LEFT JOIN reg_families f ON f.root_org = w.org_key
LEFT JOIN _lin_fam_names fn ON fn.family = f.family
GROUP BY w.model_id
