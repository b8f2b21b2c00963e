"""The staging layout every source produces, and the one SQL that turns it into store rows.

Sources only *map* their input onto the staging columns (loosely typed: scalars may be
text or native). Validation, type coercion and derived fields (licence, declared parents,
config fingerprint fields) are defined once here, in SQL, so Parquet, JSON, CSV and the Hub
API all land identically.
"""

from __future__ import annotations

import pyarrow as pa

# Loose staging schema used by the Python readers (JSON, CSV, Hub API).
STAGING_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("author", pa.string()),
        ("created_at", pa.string()),
        ("last_modified", pa.string()),
        ("downloads", pa.string()),
        ("downloads_all_time", pa.string()),
        ("likes", pa.string()),
        ("trending_score", pa.string()),
        ("pipeline_tag", pa.string()),
        ("library_name", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("card_data", pa.string()),  # JSON object text
        ("base_models", pa.string()),  # JSON array of {"relation": ..., "id": ...}
        ("safetensors_total", pa.string()),
        ("gguf", pa.string()),  # JSON object text
        ("config", pa.string()),  # JSON object text
        ("gated", pa.string()),
        ("private", pa.string()),
        ("disabled", pa.string()),
        ("sha", pa.string()),
        ("files", pa.list_(pa.string())),
        ("card_text", pa.string()),
        ("license", pa.string()),  # explicit licence when the source has a column for it
        ("_problem", pa.string()),  # set by a reader that already knows the row is bad
        ("_pos", pa.int64()),  # position in the source, for error reports
    ]
)
STAGING_COLUMNS = [f.name for f in STAGING_SCHEMA]

MAX_COUNT = 10**13  # more downloads than any plausible Hub model by orders of magnitude
MAX_ID_LEN = 256
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9._\-]+)?$"

# Reason a staged row is rejected (NULL = accepted). Same rules for every source.
REASON_SQL = f"""
CASE
  WHEN _problem IS NOT NULL THEN _problem
  WHEN id IS NULL OR trim(CAST(id AS VARCHAR)) = '' THEN 'missing id'
  WHEN length(CAST(id AS VARCHAR)) > {MAX_ID_LEN} THEN 'id longer than {MAX_ID_LEN} characters'
  WHEN NOT regexp_full_match(CAST(id AS VARCHAR), '{ID_PATTERN}') THEN 'id is not a Hub model id'
  WHEN downloads IS NOT NULL AND TRY_CAST(downloads AS BIGINT) IS NULL THEN 'downloads is not an integer'
  WHEN downloads_all_time IS NOT NULL AND TRY_CAST(downloads_all_time AS BIGINT) IS NULL
       THEN 'downloads_all_time is not an integer'
  WHEN likes IS NOT NULL AND TRY_CAST(likes AS BIGINT) IS NULL THEN 'likes is not an integer'
  WHEN TRY_CAST(downloads AS BIGINT) NOT BETWEEN 0 AND {MAX_COUNT} THEN 'absurd downloads value'
  WHEN TRY_CAST(downloads_all_time AS BIGINT) NOT BETWEEN 0 AND {MAX_COUNT}
       THEN 'absurd downloads_all_time value'
  WHEN TRY_CAST(likes AS BIGINT) NOT BETWEEN 0 AND {MAX_COUNT} THEN 'absurd likes value'
  WHEN created_at IS NOT NULL AND TRY_CAST(created_at AS TIMESTAMPTZ) IS NULL THEN 'created_at is not a date'
  WHEN last_modified IS NOT NULL AND TRY_CAST(last_modified AS TIMESTAMPTZ) IS NULL
       THEN 'last_modified is not a date'
  WHEN card_data IS NOT NULL AND NOT json_valid(card_data) THEN 'card data is not JSON'
  WHEN config IS NOT NULL AND NOT json_valid(config) THEN 'config is not JSON'
  WHEN base_models IS NOT NULL AND NOT json_valid(base_models) THEN 'baseModels is not JSON'
  ELSE NULL
END
"""

_VALID_PARENT = f"(p IS NOT NULL AND length(p) <= {MAX_ID_LEN} AND regexp_full_match(p, '{ID_PATTERN}'))"
# the regex runs only where it can match (most ids carry no URL)
_CLEAN_ID = ("CASE WHEN contains({x}, 'huggingface.co/') "
             "THEN regexp_replace(trim({x}), '^(https?://)?(www\\.)?huggingface\\.co/', '') ELSE trim({x}) END")


def card_parents_sql(col: str = "card_data") -> str:
    """card_data.base_model as a list of ids (it may be a string or a list)."""
    return (
        f"CASE json_type({col}, '$.base_model') "
        f"WHEN 'VARCHAR' THEN [json_extract_string({col}, '$.base_model')] "
        f"WHEN 'ARRAY' THEN json_extract_string({col}, '$.base_model[*]') END"
    )


def validate_statements(staged: str, table: str) -> list[str]:
    """Statements that materialise ``staged`` as TEMP table ``table`` with its reject reason and rank.

    Run them in order, then pass ``validated=True`` to the insert functions, so a large import
    evaluates the rules once, not per statement. ``_rank`` numbers the accepted rows of an id in
    ``_pos`` order (first occurrence = 1); ``_pos`` must be unique. Ranks are computed only for
    the ids that occur more than once: a window over every (wide) row costs far more than the
    whole rest of an import.
    """
    return [
        f"CREATE OR REPLACE TEMP TABLE {table} AS "
        f"SELECT *, {REASON_SQL} AS _reason, CAST(1 AS BIGINT) AS _rank FROM {staged}",
        f"""UPDATE {table} SET _rank = d.r FROM (
              SELECT _pos, row_number() OVER (PARTITION BY id ORDER BY _pos) AS r FROM {table}
              WHERE _reason IS NULL AND id IN (
                SELECT id FROM {table} WHERE _reason IS NULL GROUP BY id HAVING count(*) > 1)
            ) d WHERE {table}._pos = d._pos AND d.r > 1""",
    ]


def _accepted(staged: str, validated: bool) -> str:
    """The accepted rows of ``staged``, first occurrence of each id only."""
    if validated:
        return f"(SELECT * FROM {staged} WHERE _reason IS NULL AND _rank = 1)"
    return f"""(SELECT * FROM (
      SELECT *, row_number() OVER (PARTITION BY id ORDER BY _pos) AS _rank
      FROM {staged} WHERE ({REASON_SQL}) IS NULL
    ) WHERE _rank = 1)"""


def models_insert_sql(staged: str, snapshot_id: int, *, validated: bool = False) -> str:
    """INSERT the accepted rows of relation ``staged`` into ``models`` (first occurrence of an id wins).

    Each JSON document is parsed once for all the fields read from it (``json_extract`` with a
    list of paths): ``_card`` = card_data's license, base_model, base_model_relation; ``_cfg`` =
    config's model_type, architectures.
    """
    return f"""
    INSERT INTO models
    SELECT {snapshot_id} AS snapshot_id,
           id, lower(id),
           coalesce(nullif(author, ''), CASE WHEN contains(id, '/') THEN split_part(id, '/', 1) END),
           TRY_CAST(created_at AS TIMESTAMPTZ), TRY_CAST(last_modified AS TIMESTAMPTZ),
           TRY_CAST(downloads AS BIGINT), TRY_CAST(downloads_all_time AS BIGINT), TRY_CAST(likes AS BIGINT),
           TRY_CAST(trending_score AS DOUBLE),
           nullif(pipeline_tag, ''), nullif(library_name, ''),
           coalesce(
             nullif(lower(trim(license)), ''),
             CASE json_type(_card[1])
               WHEN 'VARCHAR' THEN nullif(lower(trim(json_extract_string(_card[1], '$'))), '')
               WHEN 'ARRAY' THEN nullif(lower(trim(json_extract_string(_card[1], '$[0]'))), '') END,
             lower(substr(list_filter(tags, lambda t: starts_with(t, 'license:'))[1], 9))
           ) AS license,
           tags,
           TRY_CAST(safetensors_total AS BIGINT),
           nullif(lower(CAST(gated AS VARCHAR)), ''),
           TRY_CAST(private AS BOOLEAN), TRY_CAST(disabled AS BOOLEAN),
           nullif(sha, ''),
           list_filter(list_transform(
               CASE json_type(_card[2])
                 WHEN 'VARCHAR' THEN [json_extract_string(_card[2], '$')]
                 WHEN 'ARRAY' THEN json_extract_string(_card[2], '$[*]') END,
               lambda x: {_CLEAN_ID.format(x='x')}),
             lambda p: {_VALID_PARENT}),
           coalesce(
             nullif(lower(json_extract_string(_card[3], '$')), ''),
             nullif(lower(json_extract_string(base_models, '$[0].relation')), ''),
             lower(regexp_extract(list_filter(list_filter(tags, lambda t: starts_with(t, 'base_model:')),
                 lambda t: regexp_matches(t, '^base_model:(adapter|finetune|merge|quantized):'))[1],
                 '^base_model:([a-z]+):', 1))
           ),
           json_extract_string(_cfg[1], '$'),
           CASE WHEN json_type(_cfg[2]) = 'ARRAY' THEN json_extract_string(_cfg[2], '$[*]') END,
           CAST(config AS JSON), CAST(gguf AS JSON), CAST(card_data AS JSON),
           files, card_text
    FROM (
      SELECT *,
             json_extract(card_data, ['$.license', '$.base_model', '$.base_model_relation']) AS _card,
             json_extract(config, ['$.model_type', '$.architectures']) AS _cfg
      FROM {_accepted(staged, validated)}
      WHERE id NOT IN (SELECT id FROM models WHERE snapshot_id = {snapshot_id})
    )
    """


def rejected_sql(staged: str, *, validated: bool = False) -> str:
    """Rejected rows of ``staged`` with their reason (duplicates are not rejections)."""
    if validated:
        return f"SELECT _pos, CAST(id AS VARCHAR) AS id, _reason FROM {staged} WHERE _reason IS NOT NULL ORDER BY _pos"
    return f"""
    SELECT _pos, CAST(id AS VARCHAR) AS id, reason FROM (
      SELECT _pos, id, {REASON_SQL} AS reason FROM {staged}
    ) WHERE reason IS NOT NULL ORDER BY _pos
    """


def declarations_insert_sql(snapshot_id: int) -> str:
    """Derive the raw parent declarations of one snapshot from its stored rows.

    ``card``: the author's card (card_data.base_model); ``hub``: the Hub's baseModels
    (relation inferred by the Hub); ``tag``: ``base_model:[relation:]parent`` tags.
    """
    clean = _CLEAN_ID.format(x="p")
    return f"""
    INSERT INTO declarations
    SELECT DISTINCT {snapshot_id}, child_id, p, relation, source FROM (
      SELECT id AS child_id, unnest(base_models) AS p,
             nullif(lower(json_extract_string(card_data, '$.base_model_relation')), '') AS relation,
             'card' AS source
      FROM models WHERE snapshot_id = {snapshot_id} AND base_models IS NOT NULL
      UNION ALL
      SELECT child_id, {clean} AS p, relation, 'tag' FROM (
        -- 'base_model:[relation:]parent' split with string functions (no regex per tag)
        SELECT child_id,
               CASE WHEN relation IS NULL THEN rest ELSE substr(rest, length(relation) + 2) END AS p,
               relation
        FROM (
          SELECT child_id, rest,
                 CASE WHEN split_part(rest, ':', 1) IN ('adapter', 'finetune', 'merge', 'quantized')
                           AND length(rest) > length(split_part(rest, ':', 1)) + 1
                      THEN split_part(rest, ':', 1) END AS relation
          FROM (SELECT id AS child_id,
                       substr(unnest(list_filter(tags, lambda t: starts_with(t, 'base_model:'))), 12) AS rest
                FROM models WHERE snapshot_id = {snapshot_id})
        )
      )
    ) WHERE {_VALID_PARENT}
    """


def hub_declarations_insert_sql(staged: str, snapshot_id: int, *, validated: bool = False) -> str:
    """Declarations from the Hub's baseModels field (only in staging; first occurrence of an id)."""
    clean = _CLEAN_ID.format(x="p")
    return f"""
    INSERT INTO declarations
    SELECT DISTINCT {snapshot_id}, child_id, p, relation, 'hub' FROM (
      SELECT child_id, {clean} AS p, nullif(lower(struct_extract(e, 'relation')), '') AS relation FROM (
        SELECT child_id, struct_extract(e, 'id') AS p, e FROM (
          SELECT id AS child_id,
                 unnest(from_json(base_models, '[{{"relation":"VARCHAR","id":"VARCHAR"}}]')) AS e
          FROM {_accepted(staged, validated)}
          WHERE base_models IS NOT NULL AND json_type(base_models) = 'ARRAY'
        )
      )
    ) WHERE {_VALID_PARENT}
    """
