"""Tables shown on dashboard pages, and their CSV / JSON downloads.

Every table a page shows can be downloaded with the same pickers (``?download=KEY&format=csv``),
so a figure can be cited and re-used. CSV text goes through :mod:`modelcensus.safe_output` (the
one formula-injection guard every writer uses), because Hub strings are untrusted and spreadsheets
execute formulas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from modelcensus.safe_output import csv_text


@dataclass
class Table:
    """Columns, rows (dicts), and how to show each column."""

    key: str
    title: str
    columns: list[str]
    rows: list[dict[str, Any]]
    formats: dict[str, str] = field(default_factory=dict)   # column -> pct | int | float | model | org
    note: str = ""
    all_rows: list[dict[str, Any]] | None = None  # what the downloads carry when the page shows the top only

    @property
    def download_rows(self) -> list[dict[str, Any]]:
        return self.rows if self.all_rows is None else self.all_rows

    def to_csv(self) -> str:
        return csv_text(self.columns, ([_plain(r.get(c)) for c in self.columns] for r in self.download_rows))

    def to_json(self) -> str:
        return json.dumps({"table": self.key, "title": self.title, "columns": self.columns,
                           "rows": [{c: _plain(r.get(c)) for c in self.columns} for r in self.download_rows]},
                          ensure_ascii=False, default=str, indent=1)


def _plain(v: Any) -> Any:
    if isinstance(v, list | tuple):
        return ";".join(str(x) for x in v)
    if hasattr(v, "isoformat") and not isinstance(v, str):
        return v.isoformat()
    return v


def cell(value: Any, fmt: str | None) -> str:
    """One table cell as text: shares as percentages with one decimal, counts with thousands separators."""
    if value is None:
        return "–"
    if fmt == "pct":
        return f"{float(value) * 100:.1f} %"
    if fmt == "int":
        try:
            return f"{int(value):,}"
        except (TypeError, ValueError):
            return str(value)
    if fmt == "float":
        return f"{float(value):,.3f}"
    if isinstance(value, list | tuple):
        return ", ".join(str(x) for x in value)
    if hasattr(value, "isoformat") and not isinstance(value, str):
        return value.isoformat()[:10]
    return str(value)
