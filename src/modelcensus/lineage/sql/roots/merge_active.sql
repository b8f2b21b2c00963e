-- reads: _rt_all
-- produces: _rt_mx
-- Merge rows whose frontier is a merge: the loop state of roots_merge_double (the rows with fin stay in
-- _rt_all, final, never rewritten).
SELECT c, p, w, d, g, f, fin FROM _rt_all WHERE NOT fin
