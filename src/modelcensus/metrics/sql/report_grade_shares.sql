-- Weighted model counts and 30-day downloads per evidence grade of one snapshot's origins (the report's
-- provenance box): a model with k roots counts 1/k under each root's grade.
-- reads: grade_origins, grade_models
-- produces: report_grade_shares
SELECT o.grade, fsum(o.weight) AS models, fsum(o.weight * coalesce(m.downloads_30d, 0)) AS downloads
FROM grade_origins o JOIN grade_models m ON m.id = o.model_id
GROUP BY o.grade
