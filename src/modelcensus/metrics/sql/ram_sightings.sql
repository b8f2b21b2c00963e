-- Every sighting of a model a RAM census reads (ATOM's Relative Adoption Metric v2, metrics/ram.py): one row
-- per (snapshot, model) with the snapshot's observation time, the all-time downloads and the Hub's parameter
-- count. On --snapshots it is the folder's models of every file; a store's ram gives its scope's models.
-- reads: snapshot_models, snapshot_index
-- produces: ram_sightings
SELECT m.snapshot_id, i.observed_at, m.id_lower, m.model_id, m.params, m.created_at, m.dall
FROM snapshot_models m JOIN snapshot_index i ON i.snapshot_id = m.snapshot_id
