-- reads: _lin_edges2, _lin_roots_cycle_edges, _lin_key
-- produces: _lin_edges_out
-- The edges the store keeps: an edge the root walk dropped to break a cycle is not structural, and its
-- evidence says so (every relation between that child and parent), so the edge explains the root.
WITH cyc AS (
    SELECT DISTINCT kc.name AS c, kp.name AS p FROM _lin_roots_cycle_edges x
    JOIN _lin_key kc ON kc.k = x.c JOIN _lin_key kp ON kp.k = x.p
)
SELECT e.child_id, e.parent_id, e.relation, e.inferred, e.grade,
       CASE WHEN y.c IS NULL THEN e.evidence ELSE e.evidence || '; closes a cycle (not followed)' END AS evidence,
       CASE WHEN y.c IS NULL THEN e.structural ELSE FALSE END AS structural
FROM _lin_edges2 e LEFT JOIN cyc y ON y.c = e.child_id AND y.p = e.parent_id
