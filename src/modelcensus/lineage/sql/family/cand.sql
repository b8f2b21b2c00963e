-- reads: _lin_m, reg_namespaces, _lin_decl, _lin_conv, _lin_mirror, _lin_text, _lin_interm, reg_family_roots, _lin_ref
-- produces: _lin_fam_cand
-- The models tier 3 may place: undeclared (no tier-1 declaration), not converted, mirrored, stated in the card
-- text or mapped to an original, and not a family root themselves; plus dangling re-uploads no name rule
-- mapped. Their config features and the organisation that publishes them (first-party models are roots).
SELECT m.id, m.ns_lower, m.fam_name AS name_lower, m.model_type, m.architectures,
       m.vocab, m.hidden, m.params, m.dteacher,
       m.tokens,
       ns.org_key AS pub_org
FROM _lin_m m
LEFT JOIN reg_namespaces ns ON ns.namespace_lower = m.ns_lower
WHERE NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = m.id AND d.tier = 1)
  AND NOT EXISTS (SELECT 1 FROM _lin_conv d WHERE d.child_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM _lin_mirror d WHERE d.child_id = m.id AND d.tier = 2)
  AND NOT EXISTS (SELECT 1 FROM _lin_text d WHERE d.child_id = m.id AND d.tier = 2)
  AND NOT EXISTS (SELECT 1 FROM _lin_interm d WHERE d.child_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM reg_family_roots r WHERE r.model_id_lower = m.id_lower)
UNION ALL   -- dangling re-uploads no name rule mapped: their name is all there is
SELECT r.id, r.ns_lower, r.fam_name, NULL, NULL, NULL, NULL, NULL, r.dteacher, NULL, r.pub_org
FROM _lin_ref r
WHERE NOT EXISTS (SELECT 1 FROM _lin_interm d WHERE d.child_id = r.id)
  AND NOT EXISTS (SELECT 1 FROM reg_family_roots f WHERE f.model_id_lower = lower(r.id))
