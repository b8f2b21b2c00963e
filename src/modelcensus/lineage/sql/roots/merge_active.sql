-- reads: _rt_all
-- produces: _rt_mx
-- Merge rows whose frontier is a merge: the loop state of roots_merge_double.
SELECT c, p, w, d, g, f, fin FROM _rt_all WHERE NOT fin
