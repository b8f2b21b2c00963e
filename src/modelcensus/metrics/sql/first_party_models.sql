-- First-party releases: a model with no parent (its own root), or one published by the organisation that
-- owns its root (an instruct tune in the base developer's namespace). One row per (snapshot, model).
-- reads: model_roots
-- produces: first_party_models
SELECT DISTINCT snapshot_id, model_id
FROM model_roots
WHERE depth = 0 OR (publisher_org IS NOT NULL AND publisher_org = root_org)
