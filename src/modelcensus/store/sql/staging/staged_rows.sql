-- Every staged row with the reason it is rejected (NULL = accepted): store.staging.REASON_SQL, the same rules
-- for every source and engine. The staged relation is in the staging layout (staging.STAGING_COLUMNS) with a
-- unique _pos; the DuckDB importer materialises this once per file, so the rules run once per row.
-- reads: staged
-- produces: _staged_rows
-- params: staged=staged
SELECT *, ${reason} AS _reason FROM ${staged}
