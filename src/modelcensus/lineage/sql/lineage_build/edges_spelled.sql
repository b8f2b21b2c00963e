-- reads: _lin_edges, _lin_m
-- produces: _lin_edges2
-- The snapshot's edges with one spelling per dangling parent: children may declare a parent the snapshot
-- does not hold in different cases, and that parent must be one node (the alphabetically first spelling).
-- Teachers and origins read this table (before cycle edges are marked), the store gets _lin_edges_out.
SELECT e.child_id,
       CASE WHEN m.id IS NULL THEN min(e.parent_id) OVER (PARTITION BY lower(e.parent_id))
            ELSE e.parent_id END AS parent_id,
       e.relation, e.inferred, e.grade, e.evidence, e.structural
FROM _lin_edges e LEFT JOIN _lin_m m ON m.id = e.parent_id
