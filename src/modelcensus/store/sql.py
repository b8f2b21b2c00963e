"""Quoting for the few SQL pieces DuckDB cannot take as bound parameters.

Values go in as ``?`` parameters wherever DuckDB allows it. Where it does not (table-function
arguments built into a statement, ``COPY ... TO``, ``SET``, inlined regex constants, column names
found in an untrusted file), text passes through one of these helpers, never raw.
"""

from __future__ import annotations

import re
from pathlib import Path

_GLOB_CHARS = re.compile(r"([*?\[])")


def sql_literal(value: str) -> str:
    """A SQL string literal holding exactly ``value`` (quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_identifier(name: str) -> str:
    """A quoted SQL identifier holding exactly ``name`` (double quotes doubled)."""
    return '"' + str(name).replace('"', '""') + '"'


def glob_escape(path: str | Path) -> str:
    """``path`` with DuckDB glob characters made literal.

    ``read_parquet``/``read_csv``/``read_json`` expand ``*``, ``?`` and ``[...]`` in file names, so a
    file called ``models[1].parquet`` would silently read ``models1.parquet`` instead. Each such
    character becomes a one-character class (``[[]``, ``[*]``, ``[?]``), which matches only itself.
    """
    return _GLOB_CHARS.sub(r"[\1]", str(path))


def sql_path(path: str | Path) -> str:
    """A string literal naming exactly the file ``path`` for DuckDB's file-reading functions."""
    return sql_literal(glob_escape(path))
