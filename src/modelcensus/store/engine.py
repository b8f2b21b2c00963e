"""The engine seam: the one narrow interface through which SQL runs, on DuckDB or on Spark.

Everything above ``store/`` that wants to run a query should go through an :class:`Engine`, never a
connection: that is what lets the same query files run on a laptop (DuckDB) and on a cluster (Spark).
The interface is deliberately small (issue 12):

- ``query(sql)`` -> a ``pyarrow.Table``;
- ``materialise(name, sql)``: a named table from a query (a TEMP table on DuckDB, a checkpointed
  temporary view on Spark);
- ``register_arrow(name, table)`` and ``register_parquet(name, paths)``: data in;
- ``unordered()``: a block whose tables need no insertion order (DuckDB then writes them in parallel);
- ``transaction()``: all-or-nothing on DuckDB; on Spark (no transactions) the named tables made inside
  are dropped when the block fails;
- ``scratch()``: a scratch area whose named tables and views are dropped when the block ends;
- ``repeat_until_stable(name, sql, count_sql, max_rounds)``: the pointer-doubling loop.

SQL is written in DuckDB's dialect (the source of truth) and handed to :func:`to_dialect`, which
transpiles it with ``sqlglot`` for the engine, with the rewrites sqlglot does not make for Spark
(``store/dialect.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from modelcensus.errors import InputError, ModelcensusError
from modelcensus.store.dialect import to_dialect

ENGINES = ("duckdb", "spark")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


class EngineUnavailableError(ModelcensusError):
    """The engine stopped answering (a Spark JVM that is gone): nothing more can run on it, so a multi-file job
    stops instead of failing every file that follows with the same connection error."""


class NotStableError(ModelcensusError):
    """A repeat-until-stable loop hit its round cap: the input holds something the rounds cannot settle."""


def check_name(name: str) -> str:
    """A table name the engine may create: a plain identifier, never interpolated user text."""
    if not _NAME.match(name):
        raise InputError(f"table name {name!r}: expected an identifier (letters, digits, _)")
    return name


class Engine(Protocol):
    """What every engine offers; see the module docstring."""

    name: str
    dialect: str

    @property
    def reads_files_here(self) -> bool:
        """Whether a path it reads is read from this process's file system (so bytes hashed here are the bytes
        it reads): not so on a cluster or over Spark Connect, where executors read the path on their machines."""
        ...

    def query(self, sql: str) -> pa.Table: ...
    def materialise(self, name: str, sql: str) -> None: ...
    def define_view(self, name: str, sql: str) -> None: ...
    def register_arrow(self, name: str, table: pa.Table) -> None: ...
    def register_parquet(self, name: str, paths: Path | list[Path], *, row_number: str | None = None,
                         file_name: str | None = None) -> None: ...
    def drop(self, name: str) -> None: ...
    def transaction(self) -> Any: ...
    def unordered(self) -> Any: ...
    def sized_for(self, rows: int) -> Any: ...
    def close(self) -> None: ...


class Scratch:
    """Named tables and views made through it are dropped when its ``with`` block ends."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.names: list[str] = []

    def _track(self, name: str) -> None:
        if name not in self.names:
            self.names.append(name)

    def materialise(self, name: str, sql: str) -> None:
        self.engine.materialise(name, sql)
        self._track(name)

    def define_view(self, name: str, sql: str) -> None:
        self.engine.define_view(name, sql)
        self._track(name)

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.engine.register_arrow(name, table)
        self._track(name)

    def register_parquet(self, name: str, paths: Path | list[Path], *, row_number: str | None = None,
                         file_name: str | None = None) -> None:
        self.engine.register_parquet(name, paths, row_number=row_number, file_name=file_name)
        self._track(name)

    def query(self, sql: str) -> pa.Table:
        return self.engine.query(sql)

    def repeat_until_stable(self, name: str, sql: str, count_sql: str, max_rounds: int = 64) -> int:
        self._track(name)
        return repeat_until_stable(self.engine, name, sql, count_sql, max_rounds)

    def drop(self, *names: str) -> None:
        """Drop tables made here as soon as they are used (at Hub scale each holds hundreds of MB)."""
        for name in names:
            self.engine.drop(name)
            if name in self.names:
                self.names.remove(name)

    def adopt(self, *names: str) -> None:
        """Drop ``names`` with this area too: tables a helper made on the engine itself (``make_store_rows``)."""
        for name in names:
            self._track(check_name(name))

    def keep(self, name: str) -> None:
        """Let ``name`` outlive the block: the caller owns it from now on."""
        if name in self.names:
            self.names.remove(name)

    def cleanup(self) -> None:
        for name in reversed(self.names):
            self.engine.drop(name)
        self.names.clear()


@contextmanager
def scratch(engine: Engine) -> Iterator[Scratch]:
    """A scratch area on ``engine``: everything made through it is gone after the block, even on error."""
    area = Scratch(engine)
    try:
        yield area
    except BaseException:
        # the block's own error is the one to report: on DuckDB a failed statement aborts the caller's
        # transaction, where every DROP of the clean-up fails too (and the rollback removes the tables anyway)
        with suppress(Exception):
            area.cleanup()
        raise
    area.cleanup()


def repeat_until_stable(engine: Engine, name: str, sql: str, count_sql: str, max_rounds: int = 64) -> int:
    """Re-materialise ``name`` from ``sql`` (which reads the previous ``name``) until ``count_sql`` (which
    reads the new one) returns 0; returns the rounds run. Pointer doubling settles in log2(depth) rounds,
    so a cap that is hit means a cycle or a bug: :class:`NotStableError`, never a silent partial answer."""
    for rounds in range(1, max_rounds + 1):
        engine.materialise(name, sql)
        left = engine.query(count_sql).column(0)[0].as_py()
        if not left:
            return rounds
    raise NotStableError(f"{name}: still changing after {max_rounds} rounds ({left} row(s) left)")


def as_engine(con_or_engine: Any) -> Engine:
    """An :class:`Engine` as it is, or a DuckDB connection wrapped in a ``DuckDBEngine`` (callers that still
    hold a store's connection during the move behind the seam)."""
    if hasattr(con_or_engine, "materialise"):
        return con_or_engine  # type: ignore[no-any-return]
    from modelcensus.store.engine_duckdb import DuckDBEngine

    return DuckDBEngine(con_or_engine)


def open_engine(kind: str, *, spark_master: str | None = None, con: Any = None) -> Engine:
    """``duckdb`` (an in-memory connection, or ``con`` when given) or ``spark`` (see engine_spark)."""
    if kind == "duckdb":
        if spark_master:
            raise InputError("--spark-master is for --engine spark")
        from modelcensus.store.engine_duckdb import DuckDBEngine

        return DuckDBEngine(con)
    if kind == "spark":
        from modelcensus.store.engine_spark import SparkEngine

        return SparkEngine.shared(master=spark_master)
    raise InputError(f"--engine {kind!r}: expected one of {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "NotStableError", "Scratch", "as_engine", "check_name", "open_engine",
           "repeat_until_stable", "scratch", "to_dialect"]
