"""The DuckDB side of importing a file the store reads itself (hub-stats Parquet, a modelcensus export).

The sources decide *what* a file means (which columns map onto the staging layout, where the observation
time comes from); the store runs that mapping on its own connection. The operations here are that part:
describe a file's columns, read the newest timestamp in a column, stage a file's rows into a snapshot
(with the staged tables or view always dropped again) and restore an export's skip record. Each turns a
DuckDB error into :class:`InputError` naming the file and DuckDB's first line, as the importers did.

All run on the caller's transaction: none begins, commits or rolls back, so a failed import still
leaves no half-written snapshot (the caller, e.g. ``ingest.import_path``, rolls the whole call back).
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from modelcensus.errors import InputError
from modelcensus.store import staging
from modelcensus.store.resources import duckdb_failure
from modelcensus.store.sql import sql_path
from modelcensus.store.store import SkipReport, Store


def describe_relation(store: Store, relation: str, *, unreadable: str) -> list[tuple[str, str]]:
    """Column name and DuckDB type of each column ``relation`` (a ``read_*`` call or subquery over one file)
    yields, without reading its rows: the importers map columns by what the file has. A file DuckDB cannot
    read is an InputError ``"<unreadable> (<DuckDB's first line>)"``: ``unreadable`` names the file."""
    try:
        rows = store.con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except duckdb.Error as exc:
        raise InputError(f"{unreadable} ({duckdb_failure(exc)})") from None
    return [(str(r[0]), str(r[1])) for r in rows]


def describe_parquet(store: Store, path: Path) -> list[tuple[str, str]]:
    """Column name and DuckDB type of each column of the Parquet file ``path`` (its footer only); an unreadable
    file is an InputError naming it."""
    return describe_relation(store, f"read_parquet({sql_path(path)})",
                             unreadable=f"{path}: not a readable Parquet file")


def parquet_latest_time(store: Store, path: Path, timestamp_sql: str) -> datetime | None:
    """The latest of ``timestamp_sql`` (an expression over the file's columns giving timestamp text, as the
    importer's mapping makes it) over the rows of the Parquet file ``path``, or None when no row has one: a
    file that says nothing about when it was observed is dated by its newest row (a lower bound)."""
    row = store._one(f"SELECT max(TRY_CAST({timestamp_sql} AS TIMESTAMPTZ)) FROM read_parquet({sql_path(path)})")
    return row[0] if row is not None and row[0] is not None else None


def stage_validated(store: Store, snapshot_id: int, select: str, skipped: SkipReport, *, table: str,
                    failure: str) -> None:
    """Add the rows of ``select`` (a file mapped onto the staging layout) to ``snapshot_id``, the rules evaluated
    once: :func:`staging.validate_statements` materialises the rows with their reject reasons as TEMP table
    ``table`` (one pass over the file; the staging SQL then reads that table, not the file, several times) and
    :meth:`Store.stage` inserts the good ones. ``table`` and ``<table>_repeated`` are dropped again whatever
    happens. A DuckDB error is an InputError ``"<failure> (<DuckDB's first line>)"``. Runs under
    :meth:`Store.bulk_load` (a caller may hold it around more, e.g. :meth:`Store.finish_snapshot`)."""
    with store.bulk_load():
        try:
            for sql in staging.validate_statements(f"({select})", table):
                store.con.execute(sql).fetchall()
            store.stage(snapshot_id, table, skipped, validated=True)
        except duckdb.Error as exc:
            raise InputError(f"{failure} ({duckdb_failure(exc)})") from None
        finally:
            with suppress(duckdb.Error):  # in an aborted transaction the rollback drops them
                store.con.execute(f"DROP TABLE IF EXISTS {table}")
                store.con.execute(f"DROP TABLE IF EXISTS {table}_repeated")


def stage_through_view(store: Store, snapshot_id: int, select: str, skipped: SkipReport, *, view: str,
                       failure: str) -> None:
    """Add the rows of ``select`` to ``snapshot_id`` through TEMP view ``view`` (the staging SQL reads the
    mapping where it needs it; for files whose row positions the mapping itself numbers), dropped afterwards.
    A DuckDB error is an InputError ``"<failure> (<DuckDB's first line>)"`` (the transaction's rollback then
    drops the view)."""
    try:
        store.con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS {select}")
        store.stage(snapshot_id, view, skipped)
        store.con.execute(f"DROP VIEW IF EXISTS {view}")
    except duckdb.Error as exc:
        raise InputError(f"{failure} ({duckdb_failure(exc)})") from None


def restore_skip_record(store: Store, snapshot_id: int, notes: dict[str, Any], skipped_count: int) -> None:
    """Set a snapshot's notes and skipped count together: a re-imported export keeps the notes and the rows
    skipped when its snapshot was first imported (plus those refused now), which
    :meth:`Store.finish_snapshot` had set to this import's alone."""
    store.con.execute("UPDATE snapshots SET notes = ?, skipped_count = ? WHERE id = ?",
                      [json.dumps(notes, default=str), int(skipped_count), snapshot_id])


__all__ = ["describe_parquet", "describe_relation", "parquet_latest_time", "restore_skip_record",
           "stage_through_view", "stage_validated"]
