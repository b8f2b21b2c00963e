"""How the files of a ``--snapshots DIR`` folder become staged rows on an engine, without a store.

Each file is mapped onto the staging columns by the hub-stats importer's own SELECT (``row_select``: metrics
may not import sources) and checked with the store's own staging rules (``store.staging.REASON_SQL``); files
that share a Parquet schema and a mapping are read as one relation. A file is a snapshot observed at 00:00 UTC
of the date in its name.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from modelcensus.errors import InputError
from modelcensus.store import Snapshot
from modelcensus.store.staging import REASON_SQL

SOURCE = "hub-stats"
# the staging columns REASON_SQL and snapshot_models.sql read; base_models is made NULL: the importer builds
# it with to_json (always valid JSON), and text baseModels that are not JSON are caught by _problem
_STAGED = ("id", "created_at", "last_modified", "downloads", "downloads_all_time", "likes", "pipeline_tag",
           "library_name", "card_data", "config", "gguf", "safetensors_total", "_problem", "_pos")


def staged_columns(mapped: str) -> dict[str, Any]:
    """The importer's SELECT for one file (DuckDB, over read_parquet) cut to the columns the slice reads:
    alias -> sqlglot expression."""
    import sqlglot

    tree = sqlglot.parse_one(mapped, read="duckdb")
    by_alias = {p.alias_or_name: p for p in tree.expressions}
    missing = [c for c in _STAGED if c not in by_alias]
    if missing:
        raise InputError(f"the hub-stats mapping has no column(s) {', '.join(missing)}")
    return {c: by_alias[c] for c in _STAGED}


def file_rows_sql(mapped: str, view: str) -> str:
    """The staged rows of the files behind ``view`` (registered with ``file_row_number`` and ``mc_file_name``
    columns), each with its snapshot id (by the date in its file name) and store.staging's reject reason."""
    import sqlglot

    cols = staged_columns(mapped)
    # parsed as DuckDB: regexp_extract's default group differs between dialects (DuckDB 0, Spark 1)
    extra = sqlglot.parse_one("SELECT CAST(NULL AS VARCHAR) AS base_models, regexp_extract(mc_file_name, "
                              "'([0-9]{4}-[0-9]{2}-[0-9]{2})[.]parquet$', 1) AS mc_file_date", read="duckdb")
    inner = sqlglot.exp.select(*cols.values(), *extra.expressions).from_(view)
    return (f"SELECT sf.snapshot_id, _pos, id, created_at, downloads, downloads_all_time, pipeline_tag, library_name, "
            f"TRY_CAST(safetensors_total AS BIGINT) AS params, {REASON_SQL} AS _reason "
            f"FROM ({inner.sql(dialect='duckdb')}) staged JOIN snapshot_files sf ON sf.file_date = staged.mc_file_date")


def read_footer_schema(path: Path) -> pa.Schema:
    """The file's Parquet schema; InputError naming it when its footer cannot be read (gone, truncated or replaced
    by something else since the folder was listed), not an internal error."""
    try:
        return pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot read its Parquet footer ({reason})") from None


def file_groups(mapped: list[tuple[int, Path, str]]) -> list[tuple[str, list[Path]]]:
    """Files that share a Parquet schema and a mapping are read as one relation: (mapping SQL, paths).
    A year of daily files is then a few reads, not hundreds of UNION ALL branches."""
    groups: dict[tuple[str, ...], tuple[str, list[Path]]] = {}
    for _k, path, sql in mapped:
        schema = read_footer_schema(path).remove_metadata()
        key = (str(schema), *(e.sql(dialect="duckdb") for e in staged_columns(sql).values()))
        groups.setdefault(key, (sql, []))[1].append(path)
    return list(groups.values())


def folder_snapshot(k: int, day: date, path: Path) -> Snapshot:
    """A folder file as a snapshot: observed at 00:00 UTC of its date, read now (``imported_at``), synthetic
    when its metadata says so (as the importer marks it), full scope (a hub-stats dump is the whole Hub)."""
    when = datetime(day.year, day.month, day.day, tzinfo=UTC)
    meta = read_footer_schema(path).metadata or {}
    synthetic = meta.get(b"synthetic", b"").strip().lower() == b"true"
    return Snapshot(id=k, source=SOURCE, source_ref=str(path), observed_at=when, imported_at=datetime.now(UTC),
                    row_count=0, skipped_count=0, complete=True, synthetic=synthetic,
                    notes={"read_from": "--snapshots folder"}, scope="full")


__all__ = ["SOURCE", "file_groups", "file_rows_sql", "folder_snapshot", "read_footer_schema", "staged_columns"]
