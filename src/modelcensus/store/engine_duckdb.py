"""DuckDBEngine: the engine seam over one DuckDB connection (in memory, or a store's ``.con``)."""

from __future__ import annotations

import re
import shutil
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from modelcensus.errors import InputError
from modelcensus.store.engine import check_name
from modelcensus.store.resources import apply_memory_limit, duckdb_failure, out_of_memory_message
from modelcensus.store.sql import sql_literal, sql_path


def _failure(what: str, exc: duckdb.Error) -> str:
    """Running out of memory or spill disk is said as such (the user can act on it); else DuckDB's first line."""
    return out_of_memory_message(exc) or f"{what} failed on DuckDB: {duckdb_failure(exc)}"


_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_ON_STORE: weakref.WeakKeyDictionary[Any, DuckDBEngine] = weakref.WeakKeyDictionary()  # see from_store


class DuckDBEngine:
    """Materialised names are TEMP tables, registered ones TEMP views: both vanish with the connection."""

    name = "duckdb"
    dialect = "duckdb"
    reads_files_here = True  # in this process

    def __init__(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.owned = con is None
        self.con = con if con is not None else duckdb.connect()
        self._spill: str | None = None
        if self.owned:  # months and dates are read in UTC, as on Spark and on a store's connection
            self.con.execute("SET TimeZone = 'UTC'")
            # spill files in a private temporary folder removed on close: an in-memory DuckDB spills to ./.tmp
            # of the working directory otherwise (16.9 GB there after --snapshots over 24 x 2.2M models)
            self._spill = tempfile.mkdtemp(prefix="modelcensus-duckdb-")
            # removed when the engine is closed, collected or the interpreter exits: an engine nobody closed
            # (or one whose set-up below failed) left its folder behind (167 empty ones in /tmp after a day's tests)
            self._spill_cleanup = weakref.finalize(self, shutil.rmtree, self._spill, True)
            self.con.execute("SET temp_directory = " + sql_literal(self._spill))
            self.con.execute("SET enable_progress_bar = false")
            # the store's memory cap, not DuckDB's 80 % of RAM: --snapshots over 3 x 2.2M models peaked at 4.5 GiB
            apply_memory_limit(self.con)
        self._kinds: dict[str, str] = {}
        self._reserved: set[str] | None = set() if self.owned else None  # read when first needed

    @classmethod
    def from_store(cls, store: Any) -> DuckDBEngine:
        """Run on an open :class:`~modelcensus.store.Store`'s connection (the store stays the owner).

        One engine per store and connection, shared by every caller: it knows the kind of each name made on the
        connection (a table and a view are dropped differently) and reads the store's table names once. An engine
        per call paid that catalog read each time, about 0.7 ms of a 23 ms metric call (review26 R26-3), and
        kept what it made to itself (R26-I1)."""
        engine = _ON_STORE.get(store)
        if engine is None or engine.con is not store.con or type(engine) is not cls:
            engine = cls(store.con)
            _ON_STORE[store] = engine
        return engine

    def query(self, sql: str) -> pa.Table:
        try:
            return self.con.sql(sql).to_arrow_table()
        except duckdb.Error as exc:
            raise InputError(_failure("query", exc)) from exc

    def _run(self, sql: str) -> None:
        try:
            self.con.execute(sql).fetchall()
        except duckdb.Error as exc:
            raise InputError(_failure("statement", exc)) from exc

    def _own(self, name: str) -> str:
        if self._reserved is None:
            # a store's own tables and views: a TEMP table of the same name would shadow them on this connection
            # (an INSERT INTO origins would then write into it), so the engine never makes one. Read on the first
            # table made, not when the engine is made: an engine that only reads (metrics.queries.store_rows)
            # paid this catalog query on every call: 1.4-1.5 ms a read with it, 0.6 ms without (review25 R25-6)
            self._reserved = {r[0] for r in self.con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
                "UNION SELECT view_name FROM duckdb_views() WHERE NOT temporary AND NOT internal").fetchall()}
        if check_name(name) in self._reserved:
            raise InputError(f"table name {name!r} is one of the store's tables: the engine makes only its own")
        return name

    def materialise(self, name: str, sql: str) -> None:
        self._own(name)
        if re.search(rf"\b{name}\b", _COMMENTS.sub(" ", sql)) is None and self._kinds.get(name) != "VIEW":
            # most statements: one CREATE OR REPLACE (the swap below cost 5.4 ms a statement against 0.9 ms)
            self._run(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        else:  # the query reads the table it replaces (pointer doubling): built under a new name, then swapped
            tmp = name + "__next"
            self._run(f"CREATE OR REPLACE TEMP TABLE {tmp} AS {sql}")
            self.drop(name)
            self._run(f"ALTER TABLE {tmp} RENAME TO {name}")
        self._kinds[name] = "TABLE"

    def define_view(self, name: str, sql: str) -> None:
        """A named query computed where it is read (dbt's "view" materialisation): DuckDB folds it into each
        query that reads it, so columns no reader asks for are never computed (the metrics' ``mc_m``)."""
        self._own(name)
        if self._kinds.get(name) == "TABLE":  # CREATE OR REPLACE VIEW does not replace a table
            self.drop(name)
        self._run(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
        self._kinds[name] = "VIEW"

    def temporary_names(self, prefix: str) -> list[tuple[str, str]]:
        """(kind, name) of every TEMP view and table on this connection whose name starts with ``prefix``,
        made by this engine or another on the same connection: for clean-up on a long-lived connection."""
        rows = self.con.execute(
            "SELECT 'VIEW', view_name FROM duckdb_views() WHERE temporary AND starts_with(view_name, ?) "
            "UNION ALL SELECT 'TABLE', table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, ?) "
            "ORDER BY 1 DESC, 2", [prefix, prefix]).fetchall()
        return [(str(k), str(n)) for k, n in rows]

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self._own(name)
        self.drop(name)
        src = f"__arrow_{name}"
        self.con.register(src, table)
        try:
            self._run(f"CREATE TEMP TABLE {name} AS SELECT * FROM {src}")
        finally:
            self.con.unregister(src)
        self._kinds[name] = "TABLE"

    def register_parquet(self, name: str, paths: Path | list[Path], *, row_number: str | None = None,
                         file_name: str | None = None) -> None:
        """A view over one or more Parquet files of one schema; ``row_number`` / ``file_name`` name the columns
        that carry each row's position in its file and the file's name."""
        self._own(name)
        self.drop(name)
        files = ", ".join(sql_path(Path(p)) for p in (paths if isinstance(paths, list) else [paths]))
        opts = (", file_row_number = true" if row_number else "") + (", filename = true" if file_name else "")
        extra = [f"file_row_number AS {check_name(row_number)}"] if row_number else []
        extra += [f"filename AS {check_name(file_name)}"] if file_name else []
        excl = [c for c, on in (("file_row_number", row_number), ("filename", file_name)) if on]
        cols = f"* EXCLUDE ({', '.join(excl)}), {', '.join(extra)}" if excl else "*"
        try:
            self._run(f"CREATE TEMP VIEW {name} AS SELECT {cols} FROM read_parquet([{files}]{opts})")
        except InputError as exc:  # name the file(s), as the Spark engine does
            listed = paths if isinstance(paths, list) else [paths]
            raise InputError(f"{listed[0]}{' ...' if len(listed) > 1 else ''}: DuckDB cannot read it "
                             f"({str(exc).removeprefix('statement failed on DuckDB: ')})") from None
        self._kinds[name] = "VIEW"

    def drop(self, name: str) -> None:
        """Drop the TEMP table or view ``name`` (never a store's own table of that name). The kind is known for
        what this engine made, else looked up, not tried: a failed DROP inside a transaction would abort the
        caller's transaction."""
        check_name(name)
        kind = self._kinds.pop(name, None)
        kinds = [(kind,)] if kind else self.con.execute(
            "SELECT 'TABLE' FROM duckdb_tables() WHERE temporary AND table_name = ? "
            "UNION ALL SELECT 'VIEW' FROM duckdb_views() WHERE temporary AND view_name = ?", [name, name]).fetchall()
        for (k,) in kinds:
            self.con.execute(f"DROP {k} IF EXISTS temp.main.{name}").fetchall()

    @contextmanager
    def sized_for(self, rows: int) -> Iterator[None]:
        """Nothing to set: DuckDB sizes its own work (the Spark engine widens its shuffles here)."""
        yield

    @contextmanager
    def unordered(self) -> Iterator[None]:
        """``preserve_insertion_order = false`` while the block runs (then as it was): for work whose row order
        is irrelevant, which DuckDB can then write in parallel (root resolution on the 2.2M graph, interleaved
        runs: 0.725 s median without, 0.685 s with)."""
        keep = self.con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]
        self.con.execute("SET preserve_insertion_order = false")
        restore = f"SET preserve_insertion_order = {'true' if keep else 'false'}"
        try:
            yield
        except BaseException:
            with suppress(duckdb.Error):  # in an aborted transaction: the block's error is the one to report
                self.con.execute(restore)
            raise
        self.con.execute(restore)

    def forget_kinds(self) -> None:
        """After a ROLLBACK: what was made inside the transaction is gone, and a name's kind may have changed, so
        each later drop looks its kind up (a DROP of the wrong kind fails, and inside a transaction aborts it)."""
        self._kinds.clear()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._run("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            self.forget_kinds()
            raise
        else:
            self._run("COMMIT")

    def close(self) -> None:
        for name in list(self._kinds):
            self.drop(name)
        if self.owned:
            self.con.close()
        if self._spill is not None:
            self._spill_cleanup()


def forget_store_kinds(store: Any) -> None:
    """The store's shared engine (if it has one) forgets the kinds of the names made on it: the store rolled a
    transaction back (review27 R27-1: a later drop sent a DROP of the wrong kind and failed)."""
    engine = _ON_STORE.get(store)
    if engine is not None:
        engine.forget_kinds()
