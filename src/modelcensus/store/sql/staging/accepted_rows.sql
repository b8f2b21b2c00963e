-- The accepted rows, the first occurrence (lowest _pos) of each id only. The repeats are found among the ids
-- that occur more than once: a window over every (wide) row cost far more than the rest of an import.
-- reads: _staged_rows
-- produces: _accepted_rows
-- params: staged_rows=_staged_rows
SELECT * FROM ${staged_rows}
WHERE _reason IS NULL AND _pos NOT IN (
    SELECT _pos FROM (
        SELECT _pos, row_number() OVER (PARTITION BY id ORDER BY _pos) AS _rank FROM ${staged_rows}
        WHERE _reason IS NULL AND id IN (
            SELECT id FROM ${staged_rows} WHERE _reason IS NULL GROUP BY id HAVING count(*) > 1)
    ) repeats
    WHERE _rank > 1)
