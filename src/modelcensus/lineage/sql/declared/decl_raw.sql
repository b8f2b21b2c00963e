-- reads: declarations, models
-- produces: _lin_decl_raw
-- params: sid=1
-- Every declared parent of the snapshot, before any check: the card's, the Hub's and the tags' declarations
-- (src_rank 0 card, 1 Hub or a tag with a relation, 2 a plain tag), plus GGUF general.base_model metadata
-- (rank 2) when it is id-shaped once a huggingface.co URL prefix is cut. rels are the declared relations
-- (grades.DECLARED_RELATIONS); another relation word is kept as NULL (not declared).
SELECT d.child_id, d.parent_id,
       CASE WHEN lower(d.relation) IN (${rels}) THEN lower(d.relation) END AS relation,
       CASE WHEN d.source = 'card' THEN 0
            WHEN d.source = 'hub' OR (d.source = 'tag' AND d.relation IS NOT NULL) THEN 1
            ELSE 2 END AS src_rank,
       d.source
FROM declarations d WHERE d.snapshot_id = ${sid}
UNION ALL
SELECT id, regexp_replace(trim(p), ${url}, ''), NULL, 2, 'gguf'
FROM (
    SELECT id, unnest([json_extract_string(gguf, '$."general.base_model.0.repo_url"'),
                       json_extract_string(gguf, '$.base_model')]) AS p
    FROM models WHERE snapshot_id = ${sid} AND gguf IS NOT NULL
) WHERE p IS NOT NULL AND regexp_full_match(
    regexp_replace(trim(p), ${url}, ''), '[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9._\-]+)?')
