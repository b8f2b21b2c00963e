-- reads: _lin_m, _lin_decl, _lin_conv
-- produces: _lin_mirror
-- Re-uploads: an older repo elsewhere with the same name and config signature (tier 2), or the same
-- declared parents (tier 9, informational).
WITH sig AS (
    SELECT id, ns_lower, name_lower, created_at, model_type,
           list_sort(coalesce(architectures, [])) AS archs,
           vocab
    FROM _lin_m
),
parents AS (SELECT child_id, list_sort(list(parent_id)) AS ps FROM _lin_decl WHERE tier = 1 GROUP BY child_id),
-- the oldest repo of each (name, signature) group is the original; windows, not a self-join,
-- so thousands of same-named repos cost O(n log n), not O(n^2)
cfg AS (
    SELECT s.*, first_value(id) OVER w AS orig, first_value(created_at) OVER w AS orig_created
    FROM sig s
    WHERE model_type IS NOT NULL AND vocab IS NOT NULL AND created_at IS NOT NULL
    WINDOW w AS (PARTITION BY name_lower, model_type, archs, vocab ORDER BY created_at, id)
),
by_config AS (
    SELECT c.id AS child_id, c.orig AS parent_id, 'config' AS grade,
           'same name and config (' || c.model_type || ', vocab ' || c.vocab || ') as the older '
           || c.orig AS evidence, 2 AS tier
    FROM cfg c
    ANTI JOIN (SELECT child_id FROM _lin_decl WHERE tier = 1) d ON d.child_id = c.id
    ANTI JOIN _lin_conv v ON v.child_id = c.id
    WHERE c.orig <> c.id AND c.orig_created < c.created_at
),
base AS (
    SELECT s.id, s.created_at, first_value(s.id) OVER w AS orig,
           first_value(s.created_at) OVER w AS orig_created
    FROM sig s JOIN parents p ON p.child_id = s.id
    WHERE s.created_at IS NOT NULL
    WINDOW w AS (PARTITION BY s.name_lower, p.ps ORDER BY s.created_at, s.id)
),
by_base AS (   -- informational: both declare the same parents, so the root is the same anyway
    SELECT id AS child_id, orig AS parent_id, 'name' AS grade,
           'same name and declared base as the older ' || orig AS evidence, 9 AS tier
    FROM base WHERE orig <> id AND orig_created < created_at
)
SELECT child_id, parent_id, 'reupload' AS relation, TRUE AS inferred, grade, evidence, tier, 2 AS kind_rank
FROM by_config UNION ALL
SELECT child_id, parent_id, 'reupload', TRUE, grade, evidence, tier, 2 FROM by_base
