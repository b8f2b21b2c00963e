-- ATOM's RAM v2 per (model, checkpoint age): RAM = D_m(a) / C_s(a) where the baseline is positive; with latest
-- = 1, each model's oldest checkpoint reached only. grp: the model's group (ram_groups; empty without a key).
-- reads: ram_values, ram_models, ram_baseline, ram_groups
-- produces: metric_ram
-- params: latest=0
SELECT model, size_class, grp, release_date, age_days, downloads, baseline, reference_models, ram FROM (
  SELECT r.model_id AS model, r.size_class, g.grp, r.release_date, v.a AS age_days, v.d AS downloads,
         b.baseline, coalesce(b.n, 0) AS reference_models,
         CASE WHEN b.baseline > 0 THEN v.d / b.baseline END AS ram,
         row_number() OVER (PARTITION BY v.mid ORDER BY v.a DESC) AS newest
  FROM ram_values v JOIN ram_models r ON r.mid = v.mid
  LEFT JOIN ram_baseline b ON b.size_class = r.size_class AND b.a = v.a
  LEFT JOIN ram_groups g ON g.id_lower = r.id_lower
  WHERE v.kept) x
WHERE ${latest} = 0 OR newest = 1
