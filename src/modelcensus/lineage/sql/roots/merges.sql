-- reads: _rt_e
-- produces: _rt_m
-- params: edges=_rt_e
-- Merges: children with two or more structural parents, with their parent count k. Only these few groups
-- are written (a table of every child's count cost a write of ~1.9M rows on the 2.2M-model graph).
SELECT c, CAST(count(*) AS INTEGER) AS k FROM ${edges} GROUP BY c HAVING count(*) > 1
