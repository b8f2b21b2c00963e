-- reads: _lin_origins_out, models
-- produces: _lin_stats
-- params: sid=1
-- One row of counts and coverage for lineage_builds.stats: what share of models and of 30-day downloads
-- has a resolved root country, and how many models carry each problem.
WITH o AS (SELECT * FROM _lin_origins_out),
m AS (SELECT id, coalesce(downloads_30d, 0) AS dl FROM models WHERE snapshot_id = ${sid})
SELECT (SELECT count(*) FROM m) AS models,
       (SELECT fsum(weight) FILTER (WHERE root_country IS NOT NULL) FROM o) AS root_cov,
       (SELECT CAST(sum(dl) AS BIGINT) FROM m) AS dl_total,
       (SELECT fsum(o.weight * m.dl) FILTER (WHERE o.root_country IS NOT NULL)
        FROM o JOIN m ON m.id = o.model_id) AS dl_cov,
       (SELECT count(DISTINCT model_id) FILTER (WHERE publisher_country IS NOT NULL) FROM o) AS pub_cov,
       (SELECT count(DISTINCT model_id) FILTER (WHERE depth > 0) FROM o) AS with_parent,
       (SELECT count(DISTINCT model_id) FROM o
        WHERE array_length(list_filter(problems, lambda x: starts_with(x, 'missing_parent'))) > 0) AS missing_parent,
       (SELECT count(DISTINCT model_id) FROM o WHERE list_contains(problems, 'cycle')) AS cycle,
       (SELECT count(DISTINCT model_id) FROM o WHERE list_contains(problems, 'ambiguous_signature'))
         AS ambiguous_signature,
       (SELECT count(DISTINCT model_id) FROM o WHERE list_contains(problems, 'invalid_declaration'))
         AS invalid_declaration,
       (SELECT count(DISTINCT model_id) FROM o WHERE list_contains(problems, 'declared_base_contradicts_config'))
         AS declared_base_contradicts_config
