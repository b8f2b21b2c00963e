-- reads: _rt_reach
-- produces: _rt_reach
-- One round of transitive closure by squaring (run until no pair is new): pairs compose with pairs, and
-- only compositions involving a pair new last round can be new (the others were made a round earlier).
SELECT s, t, bool_and(fresh) AS fresh
FROM (
    SELECT s, t, FALSE AS fresh FROM _rt_reach
    UNION ALL
    SELECT a.s, b.t, TRUE AS fresh FROM _rt_reach a JOIN _rt_reach b ON a.t = b.s WHERE a.fresh OR b.fresh
) pairs
GROUP BY s, t
