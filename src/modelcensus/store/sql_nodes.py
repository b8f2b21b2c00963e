"""Small sqlglot helpers shared by the Spark rewrites (``dialect``, ``dialect_fsum``): DuckDB's dialect as the
files are read, a function call node, and a node shown short in an error message."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def reader() -> Any:
    """DuckDB's dialect with list indexes kept as written (1-based). sqlglot shifts an index to 0-based only
    when it can type it as an integer (``l[1]``, ``l[length(s)]``, not ``l[i]``); the rewrite below needs
    DuckDB's own index every time."""
    from sqlglot.dialects.duckdb import DuckDB

    class DuckDBIndexAsWritten(DuckDB):
        INDEX_OFFSET = 0

    return DuckDBIndexAsWritten


def fn(name: str, *args: Any) -> Any:
    from sqlglot import exp

    return exp.Anonymous(this=name, expressions=list(args))


def shown(node: Any) -> str:
    return str(node.sql(dialect=reader()))[:120]


__all__ = ["fn", "reader", "shown"]
