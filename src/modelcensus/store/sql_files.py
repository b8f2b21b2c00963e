"""Query files: one ``.sql`` file per produced table, run in dependency order (the way dbt lays out models).

A file starts with a header of comment lines that say what it reads and the one table it makes::

    -- reads: snapshot_models, model_publishers
    -- produces: credit
    -- params: group=publisher_country

then the query in DuckDB's dialect (the source of truth). When a query needs an engine-specific form,
the file holds it after a ``-- dialect: spark`` line; otherwise the DuckDB query is transpiled with
sqlglot (:func:`modelcensus.store.engine.to_dialect`). ``${name}`` in a query is a parameter: only
identifiers and whole numbers (or comma-separated whole numbers) are substituted, never free text,
and ``params`` gives the default each file is tested with.

Two more kinds of value come only from the package's own code, never from a user: a :class:`Literal`
(a constant such as a name pattern, substituted as a quoted SQL string) and a :class:`Fragment` (an
expression built by a Python helper, e.g. the valid-Hub-id test, substituted as it is). Their types are the
gate: a plain ``str`` is always checked as an identifier or numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError
from modelcensus.store.engine import check_name, to_dialect

_HEADER = re.compile(r"^--\s*(reads|produces|params|dialect)\s*:\s*(.*?)\s*$")
_PARAM = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")
_VALUE = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*|-?\d+(?:\s*,\s*-?\d+)*)$")


class Literal(str):
    """A constant of the package's code, substituted as a quoted SQL string literal (quotes doubled)."""

    __slots__ = ()


class Fragment(str):
    """An SQL expression built by the package's code, substituted verbatim (never user text)."""

    __slots__ = ()


@dataclass(frozen=True)
class SqlFile:
    """One query file: its name, what it reads, the table it produces, and its query per dialect."""

    name: str
    reads: tuple[str, ...]
    produces: str
    query: str                                              # DuckDB dialect
    dialects: dict[str, str] = field(default_factory=dict)  # engine-specific forms, e.g. {"spark": ...}
    params: dict[str, str] = field(default_factory=dict)    # defaults (the values tests use)

    def text(self, dialect: str, params: dict[str, Any] | None = None) -> str:
        """The query for ``dialect`` with parameters substituted (an own section wins over transpiling)."""
        values = {**self.params, **{k: v if isinstance(v, (Literal, Fragment)) else str(v)
                                    for k, v in (params or {}).items()}}
        raw = self.dialects.get(dialect, self.query)
        sql = _substitute(raw, values, self.name)
        return sql if dialect in self.dialects or dialect == "duckdb" else to_dialect(sql, dialect)


def _substitute(sql: str, values: dict[str, str], where: str) -> str:
    def one(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            raise InputError(f"{where}: parameter ${{{key}}} has no value")
        value = values[key]
        if isinstance(value, Literal):
            return "'" + value.replace("'", "''") + "'"
        if isinstance(value, Fragment):
            return str(value)
        if not _VALUE.match(values[key]):
            raise InputError(f"{where}: parameter {key}={values[key]!r}: expected an identifier or whole numbers")
        return values[key]

    return _PARAM.sub(one, sql)


def parse_sql_file(text: str, name: str) -> SqlFile:
    """Parse one file's header and sections; a file without ``reads``/``produces`` is an InputError."""
    reads: tuple[str, ...] | None = None
    produces: str | None = None
    params: dict[str, str] = {}
    sections: dict[str, list[str]] = {"duckdb": []}
    current = "duckdb"
    for line in text.splitlines():
        m = _HEADER.match(line.strip())
        if m is None:
            sections[current].append(line)
            continue
        key, value = m.group(1), m.group(2)
        if key == "reads":
            reads = tuple(check_name(v.strip()) for v in value.split(",") if v.strip())
        elif key == "produces":
            produces = check_name(value)
        elif key == "params":
            for item in value.split():
                k, sep, v = item.partition("=")
                if not sep:
                    raise InputError(f"{name}: params entry {item!r}: expected name=default")
                params[k] = v
        else:
            current = value.lower()
            if current in sections:
                raise InputError(f"{name}: two sections for dialect {current}")
            sections[current] = []
    if reads is None or produces is None:
        raise InputError(f"{name}: the header must name what it reads (-- reads: a, b) and the one table it "
                         "produces (-- produces: t)")
    query = "\n".join(sections.pop("duckdb")).strip().rstrip(";")
    if not query:
        raise InputError(f"{name}: no query")
    return SqlFile(name, reads, produces, query, {k: "\n".join(v).strip().rstrip(";") for k, v in sections.items()},
                   params)


def load_sql_files(folder: Traversable | Path) -> dict[str, SqlFile]:
    """Every ``*.sql`` of ``folder`` keyed by the table it produces (two files producing one table: error)."""
    out: dict[str, SqlFile] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".sql"):
            continue
        f = parse_sql_file(entry.read_text(encoding="utf-8"), entry.name)
        if f.produces in out:
            raise InputError(f"{entry.name} and {out[f.produces].name} both produce {f.produces}")
        out[f.produces] = f
    return out


def plan(files: dict[str, SqlFile], targets: list[str], provided: set[str]) -> list[SqlFile]:
    """The files needed for ``targets``, each after the files it reads from; ``provided`` are registered
    tables. A table nobody provides or a cycle is an InputError naming it."""
    order: list[SqlFile] = []
    state: dict[str, str] = {}

    def visit(table: str, path: tuple[str, ...]) -> None:
        if table in provided or state.get(table) == "done":
            return
        if state.get(table) == "open":
            raise InputError(f"query files read each other in a cycle: {' -> '.join((*path, table))}")
        f = files.get(table)
        if f is None:
            raise InputError(f"no query file produces {table!r} and it was not registered (needed by "
                             f"{path[-1] if path else 'the caller'})")
        state[table] = "open"
        for dep in f.reads:
            visit(dep, (*path, table))
        state[table] = "done"
        order.append(f)

    for t in targets:
        visit(t, ())
    return order


def run_files(area: Any, files: dict[str, SqlFile], targets: list[str], provided: set[str], dialect: str,
              params: dict[str, Any] | None = None) -> list[str]:
    """Materialise ``targets`` (and what they need) through ``area`` (an engine or a scratch area);
    returns the files run, in order."""
    ran = []
    for f in plan(files, targets, provided):
        area.materialise(f.produces, f.text(dialect, params))
        ran.append(f.name)
    return ran


class QueryFolder:
    """The query files of one folder keyed by file stem, for code that runs them one by one between Python
    steps (a loop's start and its round may produce the same table, so the stem, not the table, is the key).

    ``params`` are the folder's code-side values (:class:`Literal`, :class:`Fragment`, identifiers): used at
    run time and by the tests that transpile every file."""

    def __init__(self, folder: Traversable | Path, params: dict[str, Any] | None = None) -> None:
        self.files = {e.name.removesuffix(".sql"): parse_sql_file(e.read_text(encoding="utf-8"), e.name)
                      for e in sorted(folder.iterdir(), key=lambda e: e.name) if e.name.endswith(".sql")}
        self.params = dict(params or {})

    def text(self, stem: str, dialect: str, params: dict[str, Any] | None = None) -> str:
        if stem not in self.files:
            raise InputError(f"no query file {stem}.sql")
        return self.files[stem].text(dialect, {**self.params, **(params or {})})

    def make(self, area: Any, stem: str, params: dict[str, Any] | None = None, *, name: str | None = None) -> str:
        """Materialise the table file ``stem`` produces (or ``name``) through ``area``; returns its name."""
        sql = self.text(stem, area_dialect(area), params)
        table = name or self.files[stem].produces
        area.materialise(table, sql)
        return table


def area_dialect(area: Any) -> str:
    """The dialect of an engine or of a scratch area on one."""
    return str(getattr(area, "dialect", None) or area.engine.dialect)


__all__ = ["Fragment", "Literal", "QueryFolder", "SqlFile", "area_dialect", "load_sql_files", "parse_sql_file",
           "plan", "run_files"]
