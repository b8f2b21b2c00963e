"""Curated CSV files that metric options name (``-o regions=``, ``parameters=``, ``release_dates=``).

One loader so each file is checked, read and reported the same way: it must exist, is read by
DuckDB with every column as text (the SELECT casts), its name is glob-escaped (DuckDB expands
``*``, ``?`` and ``[...]`` in file names), and any failure is an :class:`InputError` naming the
file and the columns it needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics.queries import store_engine
from modelcensus.store import Store
from modelcensus.store.sql import sql_path


def load_option_csv(store: Store, table: str, path: str | Path, *, what: str, needs: str, select: str,
                    comments: bool = True, unique: str | None = None) -> None:
    """TEMP ``table`` AS ``select`` over the CSV at ``path`` (``select`` reads FROM ``src``); with ``unique``, a
    value of that column on two rows is an InputError naming it (a table joined on it would count twice)."""
    p = check_option_file(path, what)
    comment = ", comment='#'" if comments else ""
    engine = store_engine(store)
    src = f"read_csv({sql_path(p)}, header=true, all_varchar=true{comment}) AS src"
    try:
        engine.materialise(table, select.format(src=src))
    except InputError as exc:  # a malformed CSV or missing columns
        reason = str(exc).removeprefix("statement failed on DuckDB: ")
        raise InputError(f"{what} {p}: cannot read {needs} ({reason})") from None
    if unique:
        twice = [r[unique] for r in engine.query(f"SELECT {unique} FROM {table} GROUP BY {unique} "
                                                 f"HAVING count(*) > 1 ORDER BY {unique} LIMIT 4").to_pylist()]
        if twice:
            engine.drop(table)
            raise InputError(f"{what} {p}: {', '.join(map(repr, twice[:3]))}{' ...' if len(twice) > 3 else ''} "
                             f"listed more than once (each must have one row)")


def option_path(value: Any, option: str) -> str | None:
    """An option naming a file: None when not given; an empty value is refused (review12 R12-2: an empty option is
    checked as given, not read as "not given")."""
    if value is None:
        return None
    text = str(value)
    if not text.strip():
        raise InputError(f"option {option}={text!r}: expected a file path")
    return text


def check_option_file(path: str | Path, what: str) -> Path:
    """The file's path, or an InputError naming it when there is no such file (checked before other work)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{what} {p}: no such file")
    return p


def read_option_csv(path: str | Path, *, what: str, needs: str, select: str, comments: bool = True,
                    unique: str | None = None) -> Any:
    """The same file read the same way, as an Arrow table (for an engine without the store: --snapshots)."""
    with Store(":memory:") as probe:
        load_option_csv(probe, "mc_option_csv", path, what=what, needs=needs, select=select, comments=comments,
                        unique=unique)
        return store_engine(probe).query("SELECT * FROM mc_option_csv")
