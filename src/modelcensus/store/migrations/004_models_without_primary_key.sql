-- models without its PRIMARY KEY (snapshot_id, id). The key's index about doubled the cost of a bulk
-- insert (measured 2.7 vs 1.4 CPU-s per 500k hub-stats rows) and made the commit write the index. Uniqueness
-- of (snapshot_id, id) holds by construction: staging keeps the first occurrence of an id within a batch and
-- inserts only ids the snapshot does not hold yet (resumed crawls, multi-file snapshots); tests check it.
-- Same columns in the same order as 001, so positional INSERT ... SELECT keeps working; rows are copied.
CREATE TABLE models_v4 (
    snapshot_id         INTEGER NOT NULL,
    id                  VARCHAR NOT NULL,     -- the Hub's spelling
    id_lower            VARCHAR NOT NULL,     -- ids match case-insensitively
    author              VARCHAR,
    created_at          TIMESTAMPTZ,
    last_modified       TIMESTAMPTZ,
    downloads_30d       BIGINT,
    downloads_all_time  BIGINT,
    likes               BIGINT,
    trending_score      DOUBLE,
    pipeline_tag        VARCHAR,
    library_name        VARCHAR,
    license             VARCHAR,
    tags                VARCHAR[],
    params              BIGINT,               -- safetensors.total (parameter count)
    gated               VARCHAR,              -- 'false' | 'auto' | 'manual' | 'true'
    private             BOOLEAN,
    disabled            BOOLEAN,
    sha                 VARCHAR,
    base_models         VARCHAR[],            -- parents as declared in the card (card_data.base_model)
    base_model_relation VARCHAR,              -- card_data.base_model_relation, else the Hub's
    model_type          VARCHAR,              -- config.model_type (fingerprints)
    architectures       VARCHAR[],            -- config.architectures (fingerprints)
    config              JSON,                 -- config subset (tokenizer special tokens, auto_map, quantization)
    gguf                JSON,                 -- GGUF summary (architecture, context length, ...)
    card_data           JSON,                 -- card YAML front-matter, parsed
    files               VARCHAR[],            -- sibling file names when the source has them
    card_text           VARCHAR               -- README text when the source has it
);
INSERT INTO models_v4 SELECT * FROM models ORDER BY snapshot_id, id;
DROP TABLE models;
ALTER TABLE models_v4 RENAME TO models;
