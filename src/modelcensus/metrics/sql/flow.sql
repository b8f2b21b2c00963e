-- metrics.series.build_panel, step 3: per model and interval (k-1, k], the all-time flow: the first snapshot
-- is a level, never a flow; a model first seen later is a flow only when created inside the interval; a
-- drop (reset, recount) is 0 and flagged.
-- reads: panel, snapshot_index
-- produces: flow
SELECT f.k, f.obs_sid, f.model_id, f.level, f.prev_level, f.first_k, f.created_at, sp.observed_at AS t_prev,
       CASE
         WHEN f.k = 1 THEN NULL
         WHEN f.prev_level IS NULL AND f.created_at > sp.observed_at THEN f.level
         WHEN f.prev_level IS NULL THEN NULL
         WHEN f.level < f.prev_level THEN 0
         ELSE f.level - f.prev_level
       END AS flow,
       (f.prev_level IS NOT NULL AND f.level < f.prev_level) AS negative,
       (f.k > 1 AND f.prev_level IS NULL AND NOT coalesce(f.created_at > sp.observed_at, FALSE)) AS history_only
FROM panel f LEFT JOIN snapshot_index sp ON sp.k = f.k - 1
