-- reads: _rt_e, _rt_m, _rt_fl
-- produces: _rt_cn
-- params: edges=_rt_e
-- Chain state, one row per single-parent node (an edge whose child is not a merge): its pointer n (its
-- parent: 1 hop, not stored), grade g, cycle flag f (members of a broken cycle, _rt_fl), and fin = the
-- pointer is at a stop (a node without exactly one parent: a root, a dangling parent or a merge). Rows with
-- fin are final (the done set of every later step); the others jump in _rt_ca. A single-parent cycle never
-- reaches a stop.
WITH chain AS (SELECT c, p, g FROM ${edges} e ANTI JOIN _rt_m m ON m.c = e.c)
SELECT e.c, e.p AS n, CAST(e.g AS TINYINT) AS g, x.c IS NOT NULL AS f, t.c IS NULL AS fin
FROM chain e
LEFT JOIN chain t ON t.c = e.p
LEFT JOIN _rt_fl x ON x.c = e.c
