-- reads: _rt_k, _rt_fl
-- produces: _rt_cn
-- Chain state, one row per single-parent node: its pointer n (first its parent), hops d, weakest grade g,
-- cycle flag f (members of a broken cycle, _rt_fl), and fin = the pointer is at a stop (a node without
-- exactly one parent: a root, a dangling parent or a merge). A single-parent cycle never reaches a stop.
SELECT e.c, e.p AS n, 1 AS d, e.g, x.c IS NOT NULL AS f, t.c IS NULL AS fin
FROM _rt_k e
LEFT JOIN _rt_k t ON t.c = e.p AND t.k = 1
LEFT JOIN _rt_fl x ON x.c = e.c
WHERE e.k = 1
