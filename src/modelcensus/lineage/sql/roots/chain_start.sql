-- reads: _rt_e, _rt_m, _rt_fl
-- produces: _rt_cn
-- params: edges=_rt_e
-- Chain state, one row per single-parent node (an edge whose child is not a merge): its pointer n (first
-- its parent), hops d, grade g, cycle flag f (members of a broken cycle, _rt_fl), and fin = the pointer is
-- at a stop (a node without exactly one parent: a root, a dangling parent or a merge). Rows with fin are
-- final (the done set of every later step); the others are copied to _rt_ca, where they jump. A
-- single-parent cycle never reaches a stop.
WITH chain AS (SELECT c, p, g FROM ${edges} e ANTI JOIN _rt_m m ON m.c = e.c)
SELECT e.c, e.p AS n, 1 AS d, CAST(e.g AS TINYINT) AS g, x.c IS NOT NULL AS f, t.c IS NULL AS fin
FROM chain e
LEFT JOIN chain t ON t.c = e.p
LEFT JOIN _rt_fl x ON x.c = e.c
