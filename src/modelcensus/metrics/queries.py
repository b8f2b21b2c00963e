"""The metric query files (``metrics/sql``) and how the store path runs them, so a metric has one definition.

``--snapshots`` builds the files' inputs from a folder (snapshot_folder.py). On a store, the inputs come from
the metric's scope: ``credit`` and ``snapshot_models`` are the scope's views ``mc_credit`` and ``mc_m`` (its
population, census, filters and lineage credit), given as *ephemeral* inputs: each file that reads one gets
its SELECT inlined as a leading CTE (dbt's ephemeral models). DuckDB folds the CTE into the file's query, so
a one-snapshot metric is still one pass over ``models`` (joined to ``origins`` when its key reads them), as
the f-string SQL it replaces was, and no copy of a 2M-row table is made. Small inputs (the snapshot index,
month fractions) are registered; every table a file produces is a TEMP table made through the engine seam
(``DuckDBEngine.from_store``) and dropped when the block ends, unless the caller keeps it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files as package_files
from typing import Any

import pyarrow as pa

from modelcensus.errors import InputError
from modelcensus.store import Store
from modelcensus.store.engine import Scratch, check_name, scratch
from modelcensus.store.engine_duckdb import DuckDBEngine
from modelcensus.store.sql_files import SqlFile, load_sql_files, plan

_LEADING_COMMENTS = re.compile(r"^(?:\s*--[^\n]*\n)*\s*", re.S)


def sql_folder() -> Any:
    """The package's query files (``metrics/sql``)."""
    return package_files("modelcensus.metrics") / "sql"


@cache
def _files() -> dict[str, SqlFile]:
    return load_sql_files(sql_folder())


def query_files() -> dict[str, SqlFile]:
    """Every query file keyed by the table it produces (parsed once per process)."""
    return dict(_files())


def with_inputs(sql: str, inputs: dict[str, str]) -> str:
    """``sql`` (DuckDB) with each ``name -> SELECT`` of ``inputs`` inlined as a leading CTE of that name."""
    if not inputs:
        return sql
    ctes = ", ".join(f"{check_name(name)} AS ({select})" for name, select in inputs.items())
    body = sql[_LEADING_COMMENTS.match(sql).end():]  # type: ignore[union-attr]  # the pattern matches ""
    head = re.match(r"WITH\s+(RECURSIVE\s+)?", body, re.I)
    if head is None:
        return f"WITH {ctes}\n{body}"
    if head.group(1):
        raise ValueError("with_inputs: a WITH RECURSIVE query cannot take ephemeral inputs")
    return f"WITH {ctes},\n{body[head.end():]}"


def snapshot_index(points: Iterable[tuple[int, datetime]]) -> pa.Table:
    """``snapshot_index(k, snapshot_id, observed_at)`` for (snapshot id, observed at) points in order, k from 1."""
    pts = list(points)
    return pa.table({"k": pa.array(range(1, len(pts) + 1), pa.int64()),
                     "snapshot_id": pa.array([p[0] for p in pts], pa.int64()),
                     "observed_at": pa.array([aware(p[1]) for p in pts], pa.timestamp("us", tz="UTC"))})


def snapshot_index_sql(points: Iterable[tuple[int, datetime]]) -> str:
    """:func:`snapshot_index` as a VALUES query, for the store path: an Arrow array built from Python objects
    makes pyarrow import pandas (1.3 s here), longer than a one-snapshot metric's own SQL."""
    rows = ", ".join(f"({k}, {int(sid)}, TIMESTAMPTZ '{aware(t).isoformat()}')"
                     for k, (sid, t) in enumerate(points, start=1))
    return f"SELECT * FROM (VALUES {rows}) v(k, snapshot_id, observed_at)"


def aware(ts: datetime) -> datetime:
    """A naive time is UTC (as the store and series.py read it)."""
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)


class StoreQueries:
    """Query files run on a store's connection inside one scratch area (see the module docstring)."""

    def __init__(self, area: Scratch) -> None:
        self.area = area
        self.files = _files()
        self.inputs: dict[str, str] = {}
        self.provided: set[str] = set()

    def define(self, name: str, select: str) -> None:
        """An ephemeral input: ``select`` is inlined into every file that reads ``name``."""
        self.inputs[check_name(name)] = select

    def make(self, name: str, select: str) -> None:
        """A small input table from ``select`` (TEMP, dropped with the block)."""
        with ours():
            self.area.materialise(name, select)
        self.provided.add(name)

    def done(self, *names: str) -> None:
        """Tables already on the connection (kept from an earlier call): the files that make them are not run."""
        self.provided.update(names)

    def run(self, targets: list[str], params: dict[str, Any] | None = None) -> list[str]:
        """Materialise ``targets`` and what they need that is not provided; returns the tables made."""
        made = []
        with ours():  # a file or input missing from the plan is a bug too
            for f in plan(self.files, targets, self.provided | set(self.inputs)):
                used = {t: self.inputs[t] for t in f.reads if t in self.inputs}
                self.area.materialise(f.produces, with_inputs(f.text("duckdb", params), used))
                self.provided.add(f.produces)
                made.append(f.produces)
        return made

    def rows(self, sql: str) -> list[dict[str, Any]]:
        with ours():
            return self.area.query(sql).to_pylist()  # type: ignore[no-any-return]

    def keep(self, *names: str) -> None:
        """Let ``names`` outlive the block (the caller drops them)."""
        for name in names:
            self.area.keep(name)


def store_engine(store: Store) -> DuckDBEngine:
    """The engine seam on ``store``'s connection (the store stays its owner)."""
    return DuckDBEngine.from_store(store)


def store_rows(store: Store, sql: str) -> list[dict[str, Any]]:
    """The rows of one read on ``store`` through the engine seam. The seam takes no parameters: values are
    spliced in as literals (``int()``, ``store.sql.sql_literal``), as the query files' parameters are."""
    rows: list[dict[str, Any]] = _read(store, sql).to_pylist()
    return rows


def store_value(store: Store, sql: str) -> Any:
    """The first value of one read on ``store`` (None when it returns no row); see :func:`store_rows`."""
    table = _read(store, sql)
    return table.column(0)[0].as_py() if table.num_rows else None


class StoreReadError(RuntimeError):
    """One of our own reads of the store failed: a bug or the machine, not the user's input, so the command line
    exits 3 and the web server answers 500 and logs it (review25 R25-2). Except DuckDB running out of its memory
    cap or spill disk, which the user can raise: exit 2 and 503, naming the setting (out_of_memory_message)."""


@contextmanager
def ours() -> Iterator[None]:
    """Statements of ours on a store: the engine names every DuckDB error as bad input, but the user's values are
    checked before they reach these (option files are read and checked on their own), so a failure is a
    StoreReadError (exit 3, or 2 when DuckDB ran out of memory), for the query files as for the scope's statements
    and single reads."""
    try:
        yield
    except InputError as exc:
        raise StoreReadError(str(exc)) from exc


def _read(store: Store, sql: str) -> pa.Table:
    with ours():
        return store_engine(store).query(sql)


@contextmanager
def store_queries(store: Store) -> Iterator[StoreQueries]:
    """A :class:`StoreQueries` on ``store``'s connection; what it makes is dropped when the block ends."""
    with scratch(store_engine(store)) as area:
        yield StoreQueries(area)


__all__ = ["StoreQueries", "aware", "query_files", "snapshot_index", "snapshot_index_sql", "sql_folder", "store_engine",
           "StoreReadError", "ours", "store_queries", "store_rows", "store_value", "with_inputs"]
