-- reads: _rt_cx, _rt_ca, _rt_cn, _rt_mx
-- produces: _rt_u
-- Nodes left unfinished: chains in single-parent cycles, merges left, and chains that stop at such a merge.
-- Every member of a cycle is among them.
SELECT c FROM _rt_cx WHERE NOT fin
UNION
SELECT c FROM _rt_mx WHERE NOT fin
UNION
SELECT s.c FROM (SELECT c, n FROM _rt_cn WHERE fin UNION ALL SELECT c, n FROM _rt_ca WHERE fin
                 UNION ALL SELECT c, n FROM _rt_cx WHERE fin) s
SEMI JOIN (SELECT c FROM _rt_mx WHERE NOT fin) a ON a.c = s.n
