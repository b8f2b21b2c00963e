"""The staging layout every source produces, and the one SQL that turns it into store rows.

Sources only *map* their input onto the staging columns (loosely typed: scalars may be
text or native). Validation, type coercion and derived fields (licence, declared parents,
config fingerprint fields) are defined once, in the query files of ``store/sql/staging``
(rules and id checks as fragments from here), so Parquet, JSON, CSV and the Hub API all land
identically, and the same files make the rows on Spark (:mod:`modelcensus.store.staging_engine`).
The DuckDB importer wraps them in ``INSERT INTO models|declarations`` (the functions below).
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files as package_files

import pyarrow as pa

from modelcensus.store.dialect import to_dialect
from modelcensus.store.sql_files import Fragment, QueryFolder

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
  WHEN gguf IS NOT NULL AND NOT json_valid(gguf) THEN 'gguf is not JSON'
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


def _spark_expr(expr: str) -> str:
    """A DuckDB expression of this module in Spark's dialect (for the files' Spark sections)."""
    return to_dialect(f"SELECT {expr} AS _e", "spark").removeprefix("SELECT ").removesuffix(" AS _e")


@cache
def staging_files() -> QueryFolder:
    """The staging query files with this module's rules as their code-side fragments."""
    clean_x, clean_p = _CLEAN_ID.format(x="x"), _CLEAN_ID.format(x="p")
    return QueryFolder(package_files("modelcensus.store") / "sql" / "staging", {
        "reason": Fragment(REASON_SQL), "clean_x": Fragment(clean_x), "clean_p": Fragment(clean_p),
        "valid_p": Fragment(_VALID_PARENT), "clean_x_spark": Fragment(_spark_expr(clean_x)),
        "clean_p_spark": Fragment(_spark_expr(clean_p)), "valid_p_spark": Fragment(_spark_expr(_VALID_PARENT))})


def _relation(name: str) -> Fragment:
    """A relation of the caller's code (a table name or a parenthesised query) for a file's FROM."""
    return Fragment(name)


def validate_statements(staged: str, table: str) -> list[str]:
    """Statements that materialise ``staged`` as TEMP table ``table`` with each row's reject reason (``_reason``)
    and TEMP table ``<table>_repeated`` with the positions of accepted rows that repeat an id.

    Run them in order, then pass ``validated=True`` to the insert functions, so a large import
    evaluates the rules once, not per statement; ``_pos`` must be unique.
    """
    files = staging_files()
    return [f"CREATE OR REPLACE TEMP TABLE {table} AS " + files.text("staged_rows", "duckdb",
                                                                      {"staged": _relation(staged)}),
            f"CREATE OR REPLACE TEMP TABLE {table}_repeated AS " + files.text("repeated_rows", "duckdb",
                                                                               {"staged_rows": table})]


def _accepted(staged: str, validated: bool) -> Fragment:
    """The accepted rows of ``staged``, first occurrence of each id only (``accepted_rows.sql``)."""
    files = staging_files()
    if validated:
        rows, repeated = staged, f"{staged}_repeated"
    else:
        rows = "(" + files.text("staged_rows", "duckdb", {"staged": _relation(staged)}) + ")"
        repeated = "(" + files.text("repeated_rows", "duckdb", {"staged_rows": _relation(rows)}) + ")"
    return Fragment("(" + files.text("accepted_rows", "duckdb", {"staged_rows": _relation(rows),
                                                                  "repeated": _relation(repeated)}) + ")")


def models_insert_sql(staged: str, snapshot_id: int, *, validated: bool = False) -> str:
    """INSERT the accepted rows of relation ``staged`` into ``models`` (first occurrence of an id wins;
    an id the snapshot already holds is left alone: resumed crawls, multi-file snapshots)."""
    sid = int(snapshot_id)
    new = Fragment(f"(SELECT * FROM {_accepted(staged, validated)} accepted "
                   f"WHERE id NOT IN (SELECT id FROM models WHERE snapshot_id = {sid}))")
    return "INSERT INTO models " + staging_files().text("model_rows", "duckdb", {"sid": sid, "accepted": new})


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
    """INSERT the card and tag parent declarations of one snapshot, derived from its stored rows.

    ``card``: the author's card (card_data.base_model); ``tag``: ``base_model:[relation:]parent`` tags
    (``hub``, the Hub's baseModels, comes from staging: :func:`hub_declarations_insert_sql`).
    """
    return "INSERT INTO declarations " + staging_files().text("declaration_rows", "duckdb",
                                                              {"sid": int(snapshot_id)})


def hub_declarations_insert_sql(staged: str, snapshot_id: int, *, validated: bool = False) -> str:
    """Declarations from the Hub's baseModels field (only in staging; first occurrence of an id)."""
    return "INSERT INTO declarations " + staging_files().text(
        "hub_declaration_rows", "duckdb", {"sid": int(snapshot_id), "accepted": _accepted(staged, validated)})
