-- The credit rows of one snapshot's derivatives (models with a structural parent), kept when the chosen
-- download column is above the minimum (ATOM's filter; min_downloads=-1: no filter; a model without that
-- value is then left out, as the store path's filter leaves it out).
-- reads: credit, model_relations
-- produces: derivative_credit
-- params: snapshot=1 min_field=dall min_downloads=-1
SELECT c.snapshot_id, c.model_id, c.created_at, c.grp, c.w
FROM credit c
JOIN model_relations r ON r.snapshot_id = c.snapshot_id AND r.model_id = c.model_id
WHERE c.snapshot_id = ${snapshot} AND (${min_downloads} < 0 OR c.${min_field} > ${min_downloads})
