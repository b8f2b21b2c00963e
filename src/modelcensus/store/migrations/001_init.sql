-- Snapshot store, version 1. One row per model per snapshot; snapshots are immutable once complete.
CREATE SEQUENCE IF NOT EXISTS snapshot_ids START 1;

CREATE TABLE snapshots (
    id            INTEGER PRIMARY KEY DEFAULT nextval('snapshot_ids'),
    source        VARCHAR NOT NULL,          -- hub-api | hub-stats | flat-file | modelcensus-export | synthetic
    source_ref    VARCHAR,                   -- dataset revision, endpoint + query, file path
    observed_at   TIMESTAMPTZ NOT NULL,      -- the moment the data describes
    imported_at   TIMESTAMPTZ NOT NULL,
    row_count     BIGINT NOT NULL DEFAULT 0,
    skipped_count BIGINT NOT NULL DEFAULT 0,
    complete      BOOLEAN NOT NULL DEFAULT FALSE,
    synthetic     BOOLEAN NOT NULL DEFAULT FALSE,
    fingerprint   VARCHAR UNIQUE,            -- makes re-imports idempotent
    notes         JSON                       -- skipped-row examples, crawl parameters, ...
);

CREATE TABLE models (
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
    card_text           VARCHAR,              -- README text when the source has it
    PRIMARY KEY (snapshot_id, id)
);

-- Raw base-model declarations, one row per (child, parent, where it was declared).
CREATE TABLE declarations (
    snapshot_id INTEGER NOT NULL,
    child_id    VARCHAR NOT NULL,
    parent_id   VARCHAR NOT NULL,
    relation    VARCHAR,                      -- finetune | adapter | quantized | merge | NULL (unspecified)
    source      VARCHAR NOT NULL              -- card | hub | tag
);

-- Named populations such as ATOM's tracked list.
CREATE TABLE populations (
    name        VARCHAR NOT NULL,
    model_id    VARCHAR NOT NULL,
    org         VARCHAR,
    source_ref  VARCHAR,
    imported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (name, model_id)
);

-- Resumable crawl state: the next page to fetch for an unfinished Hub crawl.
CREATE TABLE crawl_state (
    snapshot_id   INTEGER PRIMARY KEY,
    params        JSON NOT NULL,
    next_url      VARCHAR,
    pages_done    BIGINT NOT NULL DEFAULT 0,
    updated_at    TIMESTAMPTZ NOT NULL
);
