-- reads: _lin_src, reg_model_aliases, reg_namespaces, _lin_by_lower, _lin_by_canon
-- produces: _lin_resolved
-- params: src=_lin_src col=parent_id
-- ${src} plus `resolved`: the stored spelling of ${col} (case-insensitive, legacy aliases and renamed
-- namespaces followed), NULL when the id is not in the snapshot. Callers name the output table.
WITH k AS (
    SELECT s.*, lower(s.${col}) AS _low,
           coalesce(lower(a_.canonical_id),
                    CASE WHEN r_.renamed_to IS NOT NULL
                         THEN lower(r_.renamed_to) || '/' || lower(substr(s.${col}, strpos(s.${col}, '/') + 1)) END,
                    lower(s.${col})) AS _canon
    FROM ${src} s
    LEFT JOIN reg_model_aliases a_ ON a_.model_id_lower = lower(s.${col})
    LEFT JOIN reg_namespaces r_ ON contains(s.${col}, '/')
         AND r_.namespace_lower = lower(split_part(s.${col}, '/', 1)) AND r_.renamed_to IS NOT NULL
)
SELECT k.* EXCLUDE (_low, _canon), coalesce(m.id, c.id) AS resolved
FROM k
LEFT JOIN _lin_by_lower m ON m.id_lower = k._low
LEFT JOIN _lin_by_canon c ON c.canon = k._canon
