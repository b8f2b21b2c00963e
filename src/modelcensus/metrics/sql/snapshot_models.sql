-- The models of every snapshot of a folder, as the store would hold them: the rows staging accepts
-- (hub_rows._reason is store.staging's REASON_SQL), the first occurrence of an id per snapshot, typed.
-- reads: hub_rows
-- produces: snapshot_models
SELECT snapshot_id, id AS model_id, lower(id) AS id_lower,
       CASE WHEN contains(id, '/') THEN split_part(id, '/', 1) ELSE id END AS namespace,
       TRY_CAST(created_at AS TIMESTAMPTZ) AS created_at,
       TRY_CAST(downloads AS BIGINT) AS d30,
       TRY_CAST(downloads_all_time AS BIGINT) AS dall,
       nullif(pipeline_tag, '') AS pipeline_tag,
       nullif(library_name, '') AS library_name,
       params
FROM (SELECT *, row_number() OVER (PARTITION BY snapshot_id, id ORDER BY _pos) AS _rank
      FROM hub_rows WHERE _reason IS NULL) ranked
WHERE _rank = 1
