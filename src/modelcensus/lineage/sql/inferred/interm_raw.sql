-- reads: _lin_m, reg_namespaces, _lin_rnodes, reg_family_roots
-- produces: _lin_interm_raw
-- The original of each node to map, before id resolution: the only same-named model of a registry-known,
-- non-intermediary namespace, else a registry family root of that name; or the organisation a namespace
-- at the start of the name names ("PrunaAI/openbmb-MiniCPM-2B-..." -> "openbmb/MiniCPM-2B-...").
WITH known AS (   -- same-named models in registry-known namespaces that are not re-uploaders
    SELECT m.name_lower, count(*) AS k, min(m.id) AS id
    FROM _lin_m m JOIN reg_namespaces ns ON ns.namespace_lower = m.ns_lower
    WHERE ns.org_type <> 'intermediary' AND m.name_lower IN (SELECT base_name FROM _lin_rnodes WHERE interm)
    GROUP BY m.name_lower
),
froots AS (   -- registry family roots by name (held by the snapshot or not)
    SELECT lower(substr(model_id, strpos(model_id, '/') + 1)) AS nm, count(DISTINCT lower(model_id)) AS k,
           min(model_id) AS id
    FROM reg_family_roots GROUP BY 1
),
by_name AS (
    SELECT n.id AS child_id, coalesce(CASE WHEN k.k = 1 THEN k.id END, CASE WHEN f.k = 1 THEN f.id END)
             AS target,
           CASE WHEN k.k = 1 THEN 'name: re-upload of the only ' || k.id || ' held by a known organisation'
                ELSE 'name: re-upload of the registry family root ' || f.id END AS evidence, n.fmt
    FROM _lin_rnodes n
    LEFT JOIN known k ON k.name_lower = n.base_name
    LEFT JOIN froots f ON f.nm = n.base_name
    WHERE n.interm AND (k.k = 1 OR f.k = 1)
),
prefixes AS (   -- "<namespace>-<name>" / "<namespace>_-_<name>": up to three leading tokens
    SELECT * FROM (
        SELECT n.id, n.fmt, n.base_cased,
               unnest([regexp_extract(n.base_name, '^([a-z0-9.]+)(_-_|[-_])', 1),
                       regexp_extract(n.base_name, '^([a-z0-9.]+[-_][a-z0-9.]+)(_-_|[-_])', 1),
                       regexp_extract(n.base_name, '^([a-z0-9.]+[-_][a-z0-9.]+[-_][a-z0-9.]+)(_-_|[-_])', 1)])
                 AS pre
        FROM _lin_rnodes n ANTI JOIN by_name b ON b.child_id = n.id
    ) WHERE length(pre) >= 3
),
by_org AS (
    SELECT p.id AS child_id,
           ns.namespace || '/' || regexp_replace(substr(p.base_cased, length(p.pre) + 1), '^(_-_|[-_])', '')
             AS target,
           'name: names the organisation ' || ns.namespace || ' (' || ns.org || ')' AS evidence, p.fmt
    FROM prefixes p JOIN reg_namespaces ns ON ns.namespace_lower = p.pre
    WHERE ns.org_type NOT IN ('intermediary', 'individual') AND ns.renamed_to IS NULL
      -- the rest must be a name, not a size or version ('qwen-7b-chat' is Qwen 7B, not 'Qwen/7b-chat')
      AND regexp_matches(substr(p.base_cased, length(p.pre) + 1), '^(_-_|[-_])[A-Za-z]')
    QUALIFY row_number() OVER (PARTITION BY p.id ORDER BY length(p.pre) DESC) = 1
)
SELECT child_id, target, evidence, fmt FROM by_name
UNION ALL
SELECT child_id, target, evidence, fmt FROM by_org WHERE NOT ends_with(target, '/')
