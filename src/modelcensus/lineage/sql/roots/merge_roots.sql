-- reads: _rt_all, _rt_mx
-- produces: _rt_mr
-- Each merge's roots: the finished rows, paths to one root summed.
SELECT c, p, fsum(w) AS w, min(d) AS d, min(g) AS g, bool_or(f) AS f
FROM (SELECT c, p, w, d, g, f FROM _rt_all WHERE fin UNION ALL SELECT c, p, w, d, g, f FROM _rt_mx WHERE fin) done
GROUP BY c, p
