-- reads: _rt_eu
-- produces: _rt_reach
-- Reachability inside the unfinished subgraph (s reaches t): first the edges themselves, all new.
SELECT DISTINCT c AS s, p AS t, TRUE AS fresh FROM _rt_eu
