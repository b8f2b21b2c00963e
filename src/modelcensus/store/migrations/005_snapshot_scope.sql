-- What a snapshot covers. scope: 'full' (a whole-Hub census: hub-stats, an unfiltered crawl that reached the
-- end of the listing, the synthetic generator), 'partial' (a filtered or limited crawl, a tree scrape, a slice,
-- a file that does not say) or 'delta' (a --since refresh: only models modified since a date). filter: the
-- JSON that defines a partial or delta snapshot's population (author, search, limit, since, tree_roots, file);
-- two partial snapshots with equal filters are comparable, others are not (docs/census.md).
-- `complete` stays: it says whether the import or crawl finished, not what it covers.
ALTER TABLE snapshots ADD COLUMN scope VARCHAR DEFAULT 'partial';
ALTER TABLE snapshots ADD COLUMN filter JSON;
-- Existing rows: a finished unfiltered crawl, hub-stats and synthetic snapshots are full; a crawl says its own
-- scope in notes.crawl.scope; everything else (flat files, tree scrapes, exports of those) is partial unless
-- re-imported with `import --scope full`.
UPDATE snapshots SET scope = CASE
    WHEN source = 'hub-api' AND json_extract_string(notes, '$.crawl.scope') = 'delta' THEN 'delta'
    WHEN source = 'hub-api' AND complete AND json_extract_string(notes, '$.crawl.scope') = 'full' THEN 'full'
    WHEN source IN ('hub-stats', 'synthetic') AND complete THEN 'full'
    ELSE 'partial' END;
UPDATE snapshots SET filter = CASE
    WHEN source = 'hub-api' AND scope <> 'full' THEN json_merge_patch('{}', json_object(
        'author', json_extract_string(notes, '$.crawl.author'), 'search', json_extract_string(notes, '$.crawl.search'),
        'limit', TRY_CAST(json_extract_string(notes, '$.crawl.limit') AS BIGINT),
        'since', json_extract_string(notes, '$.crawl.since')))  -- merge_patch drops the null keys
    WHEN scope = 'partial' THEN json_object('source_ref', source_ref)
    ELSE NULL END;
