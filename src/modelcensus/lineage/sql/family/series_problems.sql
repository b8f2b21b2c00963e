-- reads: _lin_series
-- produces: _lin_series_problems
-- A body of a size in no distill series names the series' family but not its checkpoint.
SELECT child_id AS model_id, 'ambiguous_signature' AS problem FROM _lin_series WHERE NOT sized
