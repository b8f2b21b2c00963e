-- reads: _lin_src, reg_model_aliases, reg_namespaces, _lin_by_lower, _lin_by_canon
-- produces: _lin_resolved
-- params: src=_lin_src col=parent_id
-- src plus `resolved`: the stored spelling of col (case-insensitive, legacy aliases and renamed
-- namespaces followed), NULL when the id is not in the snapshot. Callers name the output table.
-- Each distinct id is resolved once, then joined back: declarations repeat few parents (2.2M synthetic models:
-- 3,945,064 declared parents, 150,318 distinct), and the look-ups on lower-cased strings were the cost.
WITH ids AS (SELECT DISTINCT ${col} AS _id FROM ${src}),
k AS (
    SELECT i._id, lower(i._id) AS _low,
           coalesce(lower(a_.canonical_id),
                    CASE WHEN r_.renamed_to IS NOT NULL
                         THEN lower(r_.renamed_to) || '/' || lower(substr(i._id, strpos(i._id, '/') + 1)) END,
                    lower(i._id)) AS _canon
    FROM ids i
    LEFT JOIN reg_model_aliases a_ ON a_.model_id_lower = lower(i._id)
    LEFT JOIN reg_namespaces r_ ON contains(i._id, '/')
         AND r_.namespace_lower = lower(split_part(i._id, '/', 1)) AND r_.renamed_to IS NOT NULL
),
r AS (
    SELECT k._id, coalesce(m.id, c.id) AS resolved
    FROM k
    LEFT JOIN _lin_by_lower m ON m.id_lower = k._low
    LEFT JOIN _lin_by_canon c ON c.canon = k._canon
)
SELECT s.*, r.resolved FROM ${src} s LEFT JOIN r ON r._id = s.${col}
