-- metrics.series.build_panel, step 2: each observation expanded to the snapshots it covers until the
-- model's next observation (or the end of the series): "last level at or before k", so a deleted model
-- keeps its last level. sqlglot writes DuckDB's unnest(range()) as Spark's LATERAL VIEW explode(sequence()).
-- reads: panel_obs
-- produces: panel
-- params: last_k=3
WITH o AS (
  SELECT *, lead(k) OVER (PARTITION BY mid ORDER BY k) AS next_k,
         lag(level) OVER (PARTITION BY mid ORDER BY k) AS prev_obs,
         min(k) OVER (PARTITION BY mid) AS first_k, max(k) OVER (PARTITION BY mid) AS last_k
  FROM panel_obs)
SELECT g.k, o.mid, o.first_k, o.last_k, o.k AS obs_k, o.sid AS obs_sid, o.model_id, o.created_at,
       o.level, CASE WHEN g.k = o.k THEN o.prev_obs ELSE o.level END AS prev_level
FROM o CROSS JOIN unnest(range(o.k, coalesce(o.next_k, ${last_k} + 1))) AS g(k)
