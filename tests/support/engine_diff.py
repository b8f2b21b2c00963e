"""An engine that runs every statement on DuckDB and on Spark and records where the two differ.

Each ``materialise`` runs the DuckDB text on DuckDB and its Spark translation (``to_dialect``) on Spark,
then compares the two tables as multisets of rows (floats rounded to 6 decimals: sums of doubles differ in
their last bits with the summation order). Spark then continues from DuckDB's rows, so one difference is
reported where it arises and does not cascade into every later statement. ``query`` is compared the same
way, by column position.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from modelcensus.store.engine import to_dialect


@dataclass
class Difference:
    table: str
    what: str
    sql: str

    def __str__(self) -> str:
        head = " ".join(self.sql.split())[:300]
        return f"{self.table}: {self.what}\n    SQL: {head}"


@dataclass
class DiffEngine:
    duck: Any
    spark: Any
    name: str = "diff"
    dialect: str = "duckdb"
    statements: int = 0
    differences: list[Difference] = field(default_factory=list)
    made: set[str] = field(default_factory=set)  # every table materialised
    equal: bool = True

    def __post_init__(self) -> None:
        self._con = duckdb.connect()

    def _compare(self, table: str, a: pa.Table, b: pa.Table, sql: str) -> None:
        self.statements += 1
        if a.column_names != b.column_names and table == "query":
            b = b.rename_columns(a.column_names)
        if sorted(a.column_names) != sorted(b.column_names):
            self.differences.append(Difference(table, f"columns {a.column_names} vs {b.column_names}", sql))
            return
        cols = ", ".join(_normalised(c, a.schema.field(c).type) for c in a.column_names)
        self._con.register("a_rows", a)
        self._con.register("b_rows", b)
        only = [self._con.sql(f"SELECT {cols} FROM {x} EXCEPT ALL SELECT {cols} FROM {y}").fetchall()
                for x, y in (("a_rows", "b_rows"), ("b_rows", "a_rows"))]
        self.equal = not (only[0] or only[1])
        if not self.equal:
            self.differences.append(Difference(
                table, f"{a.num_rows} vs {b.num_rows} rows; DuckDB only {len(only[0])} e.g. {only[0][:2]}; "
                       f"Spark only {len(only[1])} e.g. {only[1][:2]}", sql))

    def query(self, sql: str) -> pa.Table:
        a = self.duck.query(sql)
        self._compare("query", a, self.spark.query(to_dialect(sql, "spark")), sql)
        return a

    def materialise(self, name: str, sql: str) -> None:
        self.duck.materialise(name, sql)
        a = self.duck.query(f"SELECT * FROM {name}")
        self.spark.materialise(name, to_dialect(sql, "spark"))
        self._compare(name, a, self.spark.query(f"SELECT * FROM {name}"), sql)
        self.made.add(name)
        if not self.equal:
            self.spark.register_arrow(name, a)  # go on from DuckDB's rows: a difference does not cascade

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self.duck.register_arrow(name, table)
        self.spark.register_arrow(name, table)

    def register_parquet(self, name: str, paths: Path | list[Path], **kw: Any) -> None:
        self.duck.register_parquet(name, paths, **kw)
        self.spark.register_parquet(name, paths, **kw)

    def drop(self, name: str) -> None:
        self.duck.drop(name)
        self.spark.drop(name)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.duck.transaction(), self.spark.transaction():
            yield

    @contextmanager
    def unordered(self) -> Iterator[None]:
        with self.duck.unordered():
            yield

    @contextmanager
    def sized_for(self, rows: int) -> Iterator[None]:
        with self.duck.sized_for(rows), self.spark.sized_for(rows):
            yield

    def close(self) -> None:
        for name in self.made:
            self.spark.drop(name)
        self._con.close()


def _normalised(column: str, kind: pa.DataType) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    if pa.types.is_floating(kind):
        return f"round({quoted}, 6)"
    return quoted
