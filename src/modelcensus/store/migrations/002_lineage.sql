-- Lineage and origin tables: derived from models + declarations + the registry, rebuilt per snapshot.
CREATE TABLE edges (
    snapshot_id INTEGER NOT NULL,
    child_id    VARCHAR NOT NULL,             -- stored spelling of the child
    parent_id   VARCHAR NOT NULL,             -- stored spelling when the parent is in the snapshot, else as declared
    relation    VARCHAR NOT NULL,             -- finetune | adapter | quantized | merge | distillation | reupload
                                              -- | conversion | continued_pretraining
    inferred    BOOLEAN NOT NULL,             -- FALSE: declared by author or Hub; TRUE: inferred by modelcensus
    grade       VARCHAR NOT NULL,             -- declared | hub | tag | config | tokenizer | name
    evidence    VARCHAR                       -- short human-readable evidence ("card base_model", "name ~ R1-Distill")
);

-- One row per (model, distinct root). Weights of a model's rows sum to 1.
CREATE TABLE origins (
    snapshot_id          INTEGER NOT NULL,
    model_id             VARCHAR NOT NULL,
    publisher_namespace  VARCHAR,
    publisher_org        VARCHAR,
    publisher_country    VARCHAR,              -- ISO 3166-1 alpha-2 or NULL
    publisher_org_type   VARCHAR,
    root_id              VARCHAR NOT NULL,     -- the model itself when it has no parent
    root_org             VARCHAR,
    root_country         VARCHAR,
    root_org_type        VARCHAR,
    weight               DOUBLE NOT NULL,
    depth                INTEGER NOT NULL,     -- hops to this root (0 = the model is a root)
    grade                VARCHAR NOT NULL,     -- weakest evidence along the path
    family               VARCHAR,              -- registry family of the root, when known
    teacher_id           VARCHAR,              -- nearest distillation teacher along the path
    teacher_org          VARCHAR,
    teacher_country      VARCHAR,
    problems             VARCHAR[]             -- cycle | missing_parent:<id> | ambiguous_signature
);

CREATE TABLE lineage_builds (
    snapshot_id      INTEGER PRIMARY KEY,
    built_at         TIMESTAMPTZ NOT NULL,
    registry_version VARCHAR,
    stats            JSON
);
