"""Small SQL helpers every edge rule uses: id resolution (a query file) and name-derived columns."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files as package_files
from typing import Any

from modelcensus.errors import InputError
from modelcensus.lineage.names import DISTILL_NAME, FORMAT_SUFFIX, FORMAT_TAGS, FORMAT_WORD, KEY_SIZE
from modelcensus.store.sql import sql_literal
from modelcensus.store.sql_files import Fragment, QueryFolder

_TAG = re.compile(r"[a-z0-9:._+-]+")  # the code's tag constants: no quote or backslash for any dialect to read


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


def any_tag_sql(list_col: str, tags: tuple[str, ...] | list[str]) -> str:
    """SQL: the list column holds one of ``tags`` (FALSE for a NULL list; NULL elements never match).

    Written as one ``list_contains`` per tag rather than ``list_has_any(col, [...])``: over the 2.2M tag lists of
    the synthetic hub the latter took 0.48 s against 0.15 s (``benchmarks/RESULTS.md``, 2026-12-06). The
    ``coalesce`` is needed on both engines: ``list_contains`` of a NULL list is NULL on DuckDB and Spark, and on
    Spark ``array_contains`` is also NULL for a list holding a NULL element and no match (DuckDB: FALSE).
    ``tags`` are the code's constants, checked here so that no quoting question arises."""
    if isinstance(tags, str) or not tags or not all(isinstance(t, str) and _TAG.fullmatch(t) for t in tags):
        raise InputError(f"any_tag_sql: expected a non-empty tuple of lower-case tags, got {tags!r}")
    tests = " OR ".join(f"list_contains({list_col}, {sql_literal(t)})" for t in tags)
    return f"coalesce({tests}, FALSE)"


@cache
def edge_files() -> QueryFolder:
    """The shared query files of the edge rules (``lineage/sql/edges``)."""
    return QueryFolder(package_files("modelcensus.lineage") / "sql" / "edges",
                       {"format_tag": Fragment(any_tag_sql("m.tags", FORMAT_TAGS))})


def resolve(area: Any, src: str, col: str, out: str) -> None:
    """``out``: ``src`` plus ``resolved`` = the stored spelling of ``col`` (case-insensitive,
    aliases and renames followed) or NULL when the id is not in the snapshot. ``area``: an engine or a
    scratch area."""
    edge_files().make(area, "resolved", {"src": src, "col": col}, name=out)


def base_cased_sql(id_col: str) -> str:
    """SQL: the name without its format suffix in its original case (only where a rule needs the spelling)."""
    return f"regexp_replace({name_sql(id_col)}, '{FORMAT_SUFFIX}', '')"
