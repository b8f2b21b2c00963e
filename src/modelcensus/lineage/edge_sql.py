"""Small SQL helpers every edge rule uses: temp-table hygiene, id resolution, name-derived columns."""

from __future__ import annotations

from typing import Any

import duckdb

from modelcensus.lineage.names import DISTILL_NAME, FORMAT_SUFFIX, FORMAT_WORD, KEY_SIZE


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[tuple]:
    return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()


def drop_temp(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """Drop TEMP tables as soon as they are used: at Hub scale each holds hundreds of MB."""
    for name in names:
        con.execute(f"DROP TABLE IF EXISTS {name}")


def name_sql(id_col: str) -> str:
    """SQL: the name part of an id column (after the namespace), original case."""
    return f"(CASE WHEN contains({id_col}, '/') THEN substr({id_col}, strpos({id_col}, '/') + 1) ELSE {id_col} END)"


def name_columns_sql(id_col: str) -> str:
    """SQL select-list of the name-derived columns edge rules join on, for an id column:

    ``ns_lower``, ``name_lower``, ``base_name`` (lower name without its format suffix, one regex per row),
    ``dteacher`` (the teacher part of "X-Distill-Y" names) and
    ``fam_name`` (the text family name patterns see: the student part of a distill name that names a size,
    format words such as "llama-format" removed)."""
    nm = name_sql(id_col)
    base = f"regexp_replace(lower({nm}), '{FORMAT_SUFFIX}', '')"
    student = (f"CASE WHEN contains(lower({nm}), 'distill') AND regexp_matches(regexp_extract({base}, "
               f"'{DISTILL_NAME}', 2), '{KEY_SIZE}') THEN regexp_extract({base}, '{DISTILL_NAME}', 2) ELSE {base} END")
    return (f"CASE WHEN contains({id_col}, '/') THEN lower(split_part({id_col}, '/', 1)) END AS ns_lower, "
            f"lower({nm}) AS name_lower, {base} AS base_name, "
            f"CASE WHEN contains(lower({nm}), 'distill') THEN nullif(regexp_extract({base}, '{DISTILL_NAME}', 1), '') "
            f"END AS dteacher, "
            f"CASE WHEN contains(lower({nm}), 'format') OR contains(lower({nm}), 'cpp') "
            f"THEN regexp_replace({student}, '{FORMAT_WORD}', '\\1', 'g') ELSE {student} END AS fam_name")


def canon_sql(col: str) -> str:
    """SQL: canonical lower key of an id column (same rule as ``_lin_canon``), needs joins a_/r_."""
    return (f"coalesce(lower(a_.canonical_id), CASE WHEN r_.renamed_to IS NOT NULL THEN lower(r_.renamed_to) "
            f"|| '/' || lower(substr({col}, strpos({col}, '/') + 1)) END, lower({col}))")


def resolve(con: duckdb.DuckDBPyConnection, src: str, col: str, out: str) -> None:
    """``out``: ``src`` plus ``resolved`` = the stored spelling of ``col`` (case-insensitive,
    aliases and renames followed) or NULL when the id is not in the snapshot."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH k AS (
            SELECT s.*, lower(s.{col}) AS _low, {canon_sql('s.' + col)} AS _canon
            FROM {src} s
            LEFT JOIN reg_model_aliases a_ ON a_.model_id_lower = lower(s.{col})
            LEFT JOIN reg_namespaces r_ ON contains(s.{col}, '/')
                 AND r_.namespace_lower = lower(split_part(s.{col}, '/', 1)) AND r_.renamed_to IS NOT NULL
        )
        SELECT k.* EXCLUDE (_low, _canon), coalesce(m.id, c.id) AS resolved
        FROM k
        LEFT JOIN _lin_by_lower m ON m.id_lower = k._low
        LEFT JOIN _lin_by_canon c ON c.canon = k._canon
    """)


def base_cased_sql(id_col: str) -> str:
    """SQL: the name without its format suffix in its original case (only where a rule needs the spelling)."""
    return f"regexp_replace({name_sql(id_col)}, '{FORMAT_SUFFIX}', '')"
