-- The positions of the accepted rows that repeat an id seen earlier in the relation (_pos order): they are
-- not kept. Looked for only among the ids that occur more than once: a window over every (wide) row cost far
-- more than the rest of an import; the DuckDB importer materialises this once per file.
-- reads: _staged_rows
-- produces: _repeated_rows
-- params: staged_rows=_staged_rows
SELECT _pos FROM (
    SELECT _pos, row_number() OVER (PARTITION BY id ORDER BY _pos) AS _rank FROM ${staged_rows}
    WHERE _reason IS NULL AND id IN (
        SELECT id FROM ${staged_rows} WHERE _reason IS NULL GROUP BY id HAVING count(*) > 1)
) ranked
WHERE _rank > 1
