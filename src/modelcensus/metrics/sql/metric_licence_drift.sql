-- Licence drift per credited group: derivatives, those whose two licences are comparable, those that drifted
-- and their share of the comparable ones, the drifted downloads, and up to `examples` drifted pairs
-- (most downloaded first): the `licence_drift` metric on a store and on --snapshots alike.
-- reads: licence_drift_rows
-- produces: metric_licence_drift
-- params: examples=3
SELECT grp, fsum(w) AS derivatives,
       fsum(w) FILTER (WHERE comparable) AS comparable,
       coalesce(fsum(w) FILTER (WHERE drifted), 0) AS drifted,
       CASE WHEN fsum(w) FILTER (WHERE comparable) > 0
            THEN coalesce(fsum(w) FILTER (WHERE drifted), 0) / fsum(w) FILTER (WHERE comparable) END AS share,
       coalesce(fsum(w * downloads) FILTER (WHERE drifted), 0) AS drifted_downloads,
       list(model_id || ' [' || coalesce(child_license, '?') || '] <- ' || root_id || ' ['
            || coalesce(root_license, '?') || ']' ORDER BY group_rank)
         FILTER (WHERE drifted AND group_rank <= ${examples}) AS examples
FROM licence_drift_rows GROUP BY grp
