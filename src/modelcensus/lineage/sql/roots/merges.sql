-- reads: _rt_k
-- produces: _rt_m
-- Merges: children with two or more structural parents.
SELECT c, k FROM _rt_k WHERE k > 1
