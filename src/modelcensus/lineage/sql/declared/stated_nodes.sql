-- reads: _lin_m, reg_stated, _lin_decl, _lin_invalid_decl
-- produces: _lin_stated_nodes
-- The models (id, id_lower) the stated-bases list (reg_stated) applies to: observed ones that declare nothing
-- at all, and parents the snapshot only references. The teacher rule (edges_inferred) reads it too.
SELECT m.id, m.id_lower FROM _lin_m m
WHERE m.id_lower IN (SELECT model_id_lower FROM reg_stated)
  -- nothing declared at all: a record whose card declares something (even junk, or a base the config
  -- contradicts) is its author's word today, and the list does not overrule it
  AND NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = m.id)
  AND NOT EXISTS (SELECT 1 FROM _lin_invalid_decl p WHERE p.model_id = m.id)
UNION   -- referenced only: one spelling per id, the one the build keeps for dangling parents (min)
SELECT min(d.parent_id), lower(d.parent_id) FROM _lin_decl d
WHERE NOT d.present AND lower(d.parent_id) IN (SELECT model_id_lower FROM reg_stated)
GROUP BY lower(d.parent_id)
