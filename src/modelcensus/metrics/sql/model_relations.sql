-- Each derivative (a model with at least one structural parent edge) and its relation to its parent(s):
-- 'merge' when it has several parents. Parents are compared as stored: the lineage build keeps one spelling
-- per parent (min/max is much cheaper than a distinct count over millions of edges). `w` is 1: a model-level
-- key, so credit.sql can group by `relation` with it.
-- reads: snapshot_edges
-- produces: model_relations
SELECT snapshot_id, child_id AS model_id,
       CASE WHEN min(parent_id) <> max(parent_id) THEN 'merge' ELSE min(relation) END AS relation,
       CAST(1 AS DOUBLE) AS w
FROM snapshot_edges
WHERE coalesce(structural, TRUE)
GROUP BY snapshot_id, child_id
