-- The accepted rows, the first occurrence (lowest _pos) of each id only.
-- reads: _staged_rows, _repeated_rows
-- produces: _accepted_rows
-- params: staged_rows=_staged_rows repeated=_repeated_rows
SELECT * FROM ${staged_rows}
WHERE _reason IS NULL AND _pos NOT IN (SELECT _pos FROM ${repeated})
