-- Licence drift per (root licence, derivative licence) pair: the drifted derivatives, their downloads and up
-- to `examples` of them (most downloaded first): `licence_drift -o pairs=true` on a store and on --snapshots.
-- reads: licence_drift_rows
-- produces: metric_licence_drift_pairs
-- params: examples=3
SELECT root_license, child_license, fsum(w) AS derivatives, fsum(w * downloads) AS downloads,
       list(model_id ORDER BY pair_rank) FILTER (WHERE pair_rank <= ${examples}) AS examples
FROM licence_drift_rows WHERE drifted GROUP BY root_license, child_license
