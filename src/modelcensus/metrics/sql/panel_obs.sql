-- metrics.series.build_panel, step 1: every all-time download observation keyed by a dense model number
-- (one per lower-cased id; spellings that coexist in one snapshot are distinct repos and keep their own).
-- reads: snapshot_models, snapshot_index
-- produces: panel_obs
WITH pairs AS (SELECT DISTINCT id_lower, model_id FROM snapshot_models),
     multi AS (SELECT id_lower FROM pairs GROUP BY id_lower HAVING count(*) > 1),
     dup AS (SELECT DISTINCT id_lower FROM (
               SELECT snapshot_id, id_lower FROM snapshot_models WHERE id_lower IN (SELECT id_lower FROM multi)
               GROUP BY snapshot_id, id_lower HAVING count(*) > 1) x),
     ids AS (SELECT p.id_lower, p.model_id,
                    dense_rank() OVER (ORDER BY p.id_lower, CASE WHEN d.id_lower IS NOT NULL
                                                            THEN p.model_id END) AS mid
             FROM pairs p LEFT JOIN dup d ON d.id_lower = p.id_lower)
SELECT s.k, ids.mid, m.snapshot_id AS sid, m.model_id, m.created_at, m.dall AS level
FROM snapshot_models m
JOIN snapshot_index s ON s.snapshot_id = m.snapshot_id
JOIN ids ON ids.id_lower = m.id_lower AND ids.model_id = m.model_id
WHERE m.dall IS NOT NULL
