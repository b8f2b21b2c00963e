-- Which namespaces are intermediaries (re-packagers of others' models), per snapshot, by two rules reported
-- apart: registry = a publisher the registry types 'intermediary' publishes there; heuristic = at least
-- min_repos repos of which more than `threshold` are re-packages (a quantized/adapter edge to another
-- namespace's model, or a quantization format by tag, library or name without a parent in its own namespace).
-- ns_models: the snapshot's models (id, tags, library_name); ns_publishers: each model's publisher namespace
-- and org type, from the lineage build. The `intermediaries` metric on a store and on --snapshots alike.
-- reads: ns_models, snapshot_edges, ns_publishers
-- produces: namespace_rules
-- params: min_repos=5 threshold=0
WITH repo AS (
  SELECT m.snapshot_id, CASE WHEN contains(m.id, '/') THEN split_part(m.id, '/', 1) ELSE m.id END AS ns, m.id,
         -- a tag per list_contains: list_has_any with a constant list took 3x as long (benchmarks/RESULTS.md,
         -- 2026-12-06); coalesce: a NULL list gives NULL on both engines, and Spark's array_contains also
         -- answers NULL for a list holding a NULL element and no match (the form of edge_sql.any_tag_sql)
         (coalesce(list_contains(m.tags, 'gguf') OR list_contains(m.tags, 'gptq') OR list_contains(m.tags, 'awq')
                   OR list_contains(m.tags, 'exl2') OR list_contains(m.tags, 'mlx')
                   OR list_contains(m.tags, 'bitsandbytes'), FALSE)
          OR lower(coalesce(m.library_name, '')) IN ('gguf', 'mlx')
          OR regexp_matches(m.id, '(?i)([-_.](gguf|gptq|awq|exl2|mlx|bnb|[0-9]+bit|int[48]|q[2-8]_k(_[msl])?)([-_.]|$))'))
           AS quant_format
  FROM ns_models m),
ed AS (
  SELECT snapshot_id, id, bool_or(relation IN ('quantized', 'adapter') AND other_ns) AS repack_edge,
         bool_or(other_ns) AS foreign_parent
  FROM (SELECT snapshot_id, child_id AS id, relation,
               lower(split_part(parent_id, '/', 1)) <> lower(split_part(child_id, '/', 1)) AS other_ns
        FROM snapshot_edges WHERE coalesce(structural, TRUE)) e
  GROUP BY snapshot_id, id),
per AS (
  SELECT r.snapshot_id, r.ns, count(*) AS repos,
         count(*) FILTER (WHERE coalesce(ed.repack_edge, FALSE)
                          OR (r.quant_format AND coalesce(ed.foreign_parent, TRUE))) AS repackaged
  FROM repo r LEFT JOIN ed ON ed.snapshot_id = r.snapshot_id AND ed.id = r.id
  GROUP BY r.snapshot_id, r.ns),
reg AS (
  SELECT DISTINCT snapshot_id, publisher_namespace AS ns FROM ns_publishers
  WHERE publisher_org_type = 'intermediary')
SELECT per.snapshot_id, per.ns, per.repos, per.repackaged, reg.ns IS NOT NULL AS by_registry,
       (per.repos >= ${min_repos} AND per.repackaged > ${threshold} * per.repos) AS by_heuristic,
       CASE WHEN reg.ns IS NOT NULL AND per.repos >= ${min_repos} AND per.repackaged > ${threshold} * per.repos
              THEN 'registry+heuristic'
            WHEN reg.ns IS NOT NULL THEN 'registry'
            WHEN per.repos >= ${min_repos} AND per.repackaged > ${threshold} * per.repos THEN 'heuristic'
            ELSE 'none' END AS rule
FROM per LEFT JOIN reg ON reg.snapshot_id = per.snapshot_id AND lower(reg.ns) = lower(per.ns)
