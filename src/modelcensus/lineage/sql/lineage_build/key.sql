-- reads: _lin_m, _lin_edges2
-- produces: _lin_key
-- Interned ids: every model of the snapshot, then the dangling parents structural edges point at. Root
-- resolution works on these integer keys (narrow rows), never on the id strings.
SELECT name, CAST(row_number() OVER (ORDER BY src, name) AS INTEGER) AS k FROM (
    SELECT id AS name, 0 AS src FROM _lin_m
    UNION ALL
    SELECT DISTINCT e.parent_id, 1 FROM _lin_edges2 e ANTI JOIN _lin_m m ON m.id = e.parent_id
    WHERE e.structural
)
