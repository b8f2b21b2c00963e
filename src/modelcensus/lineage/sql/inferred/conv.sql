-- reads: _lin_fmt, _lin_decl
-- produces: _lin_conv
-- Conversions: a model with a format marker and no declared parent, of the only same-named model without one.
WITH conv AS (
    SELECT * FROM _lin_fmt f
    WHERE (has_suffix OR has_tag) AND base_name <> ''
      AND NOT EXISTS (SELECT 1 FROM _lin_decl d WHERE d.child_id = f.id AND d.tier = 1)
),
-- originals grouped by name first: a self-join on names would pair thousands of same-named
-- conversions with thousands of same-named originals (quadratic on the real Hub)
orig AS (
    SELECT name_lower, count(*) AS k, min(id) AS id FROM _lin_fmt
    WHERE NOT has_suffix AND NOT has_tag GROUP BY name_lower
),
cand AS (
    SELECT c.id AS child_id, o.id AS parent_id, c.has_suffix, o.k
    FROM conv c JOIN orig o ON o.name_lower = c.base_name
)
SELECT child_id, parent_id, 'conversion' AS relation, TRUE AS inferred, 'name' AS grade,
       CASE WHEN has_suffix THEN 'name: format suffix, the only model named '
            ELSE 'format tag, the only other model named ' END || split_part(parent_id, '/', -1) AS evidence,
       2 AS tier, 1 AS kind_rank
FROM cand WHERE k = 1
