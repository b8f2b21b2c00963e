-- reads: _rt_all
-- produces: _rt_mf
-- Merge rows already at a non-merge stop: finished before any doubling round, never rewritten.
SELECT c, p, w, d, g, f FROM _rt_all WHERE fin
