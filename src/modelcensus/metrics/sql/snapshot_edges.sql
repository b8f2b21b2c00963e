-- The lineage edges of every snapshot of a folder, from the folder's lineage build (`lineage build --snapshots
-- DIR`: lineage/DATE.edges.parquet, registered as edge_rows with the file's name), as the store's edges table
-- holds them.
-- reads: edge_rows, snapshot_files
-- produces: snapshot_edges
SELECT f.snapshot_id, e.child_id, e.parent_id, e.relation, e.structural
FROM edge_rows e
JOIN snapshot_files f
  ON f.file_date = regexp_extract(e.mc_file_name, '([0-9]{4}-[0-9]{2}-[0-9]{2})[.]edges[.]parquet$', 1)
