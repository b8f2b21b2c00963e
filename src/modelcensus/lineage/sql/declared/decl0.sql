-- reads: _lin_decl_res, _lin_m
-- produces: _lin_decl0
-- The valid declared edges of the strongest source per child, with their relation, grade and evidence,
-- before the config check (decl.sql grades the contradicted ones).
WITH d AS (
    -- a parent the snapshot lacks keeps its declared id (a legacy alias: today's id)
    SELECT c.id AS child, coalesce(r.resolved, r.canonical_id, r.parent_id) AS parent,
           r.resolved IS NOT NULL AS present,
           r.relation, r.src_rank, r.source
    FROM _lin_decl_res r JOIN _lin_m c ON c.id = r.child_id
    WHERE r.valid AND lower(coalesce(r.resolved, r.canonical_id, r.parent_id)) <> c.id_lower
),
best AS (SELECT child, min(src_rank) AS tier_rank FROM d GROUP BY child),
chosen AS (   -- the parents of the strongest source only (no spurious merges of spellings)
    SELECT d.child, d.parent, bool_or(d.present) AS present, min(d.src_rank) AS src_rank,
           list(DISTINCT d.source ORDER BY d.source) AS sources,
           min(d.relation) FILTER (WHERE d.src_rank = 0) AS card_rel
    FROM d JOIN best b ON d.child = b.child AND d.src_rank = b.tier_rank
    GROUP BY d.child, d.parent
),
any_rel AS (   -- the Hub's or a tag's relation, per parent and per child
    SELECT child, parent, min(relation) AS rel FROM d WHERE relation IS NOT NULL AND src_rank > 0
    GROUP BY child, parent
),
child_rel AS (
    SELECT child, min(relation) FILTER (WHERE src_rank = 0) AS card_rel,
           min(relation) FILTER (WHERE src_rank > 0) AS hub_rel
    FROM d GROUP BY child
),
n AS (SELECT child, count(*) AS k FROM chosen GROUP BY child)
SELECT c.child AS child_id, c.parent AS parent_id, c.present,
       coalesce(cr.card_rel, ar.rel, cr.hub_rel,
                CASE WHEN n.k >= 2 THEN 'merge' END,
                CASE WHEN list_has_any(m.tags, ['gguf', 'awq', 'gptq', 'exl2', 'bitsandbytes'])
                       OR m.base_name <> m.name_lower
                       OR m.has_quant THEN 'quantized'
                     WHEN list_contains(m.files, 'adapter_config.json') OR m.library_name = 'peft'
                       OR list_contains(m.tags, 'peft') THEN 'adapter' END,
                'finetune') AS relation,
       FALSE AS inferred,
       ['declared', 'hub', 'tag'][c.src_rank + 1] AS grade,
       CASE c.src_rank WHEN 0 THEN 'card base_model'
                       WHEN 1 THEN CASE WHEN list_contains(c.sources, 'hub') THEN 'Hub baseModels'
                                        ELSE 'Hub tag base_model:<relation>' END
                       ELSE CASE WHEN list_contains(c.sources, 'gguf') THEN 'GGUF general.base_model'
                                 ELSE 'tag base_model' END END
       || CASE WHEN cr.card_rel IS NULL AND ar.rel IS NULL AND cr.hub_rel IS NULL
               THEN CASE WHEN n.k >= 2 THEN '; relation: several parents'
                         ELSE '; relation not declared' END ELSE '' END
       || CASE WHEN NOT c.present THEN '; parent not in snapshot' ELSE '' END AS evidence
FROM chosen c
JOIN n ON n.child = c.child
JOIN _lin_m m ON m.id = c.child
LEFT JOIN any_rel ar ON ar.child = c.child AND ar.parent = c.parent
LEFT JOIN child_rel cr ON cr.child = c.child
