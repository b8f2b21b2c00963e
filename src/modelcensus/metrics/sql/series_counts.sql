-- The counts metrics.series.series_notes reports about a series: negative deltas, models first seen with
-- prior history, models absent from later snapshots, and rows without an all-time level.
-- reads: flow, panel, snapshot_index, snapshot_models
-- produces: series_counts
SELECT (SELECT count(*) FROM flow WHERE negative) AS negative,
       (SELECT count(*) FROM flow WHERE history_only) AS history_only,
       (SELECT count(DISTINCT mid) FROM panel WHERE last_k < (SELECT max(k) FROM snapshot_index)) AS deleted,
       (SELECT count(*) FROM snapshot_models WHERE dall IS NULL) AS no_level
