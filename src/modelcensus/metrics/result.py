"""MetricResult: one metric's table plus the context a reader needs to cite it.

The JSON form is fixed by design.md ("Metric rows"): metric, by, snapshots, population,
field, rows, notes — plus ``"synthetic": true`` whenever a synthetic snapshot was used — and, since
issue 8 (docs/census.md): ``coverage`` (what the figures cover), ``warnings`` (``[{code, message}]``,
empty when coverage is fine), ``census`` (for an as-of census) and ``trend`` (for a series: whether a
change may be read across its points, and why not).
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from modelcensus.safe_output import csv_text


def clean_value(v: Any) -> Any:
    """Make one cell JSON-friendly: integral floats become ints, NaN becomes None, dates ISO text."""
    if isinstance(v, Decimal):
        v = float(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        # rounded first: a sum of weights is added up in no fixed order, so the same figure comes out as 599.0 in
        # one run and 598.9999999999999 in another; both must print as 599 (review25 R25-8: 599 and 599.0)
        v = round(v, 10)
        if v.is_integer() and abs(v) < 2**53:
            return int(v)
        return v
    if hasattr(v, "isoformat") and not isinstance(v, str):
        text = v.isoformat()
        return text[:10] if len(text) >= 10 and text[10:] in ("", "T00:00:00", "T00:00:00+00:00") else text
    if isinstance(v, list | tuple):
        return [clean_value(x) for x in v]
    return v


@dataclass
class MetricResult:
    """A metric table and where it came from."""

    metric: str
    by: str | None
    snapshots: list[dict[str, Any]]
    population: str
    field: str | None
    columns: list[str]
    rows: list[dict[str, Any]]
    notes: list[str] = dataclasses.field(default_factory=list)
    synthetic: bool = False
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    coverage: dict[str, Any] = dataclasses.field(default_factory=dict)
    warnings: list[dict[str, str]] = dataclasses.field(default_factory=list)
    census: dict[str, Any] | None = None
    trend: dict[str, Any] | None = None

    def coverage_line(self) -> str:
        """One line for a table footer or a chart's source line."""
        c = self.coverage
        if not c:
            return ""
        parts = [f"{c.get('models', 0):,} models"]
        pop = c.get("population") or {}
        if pop.get("kind") == "curated":
            parts.append(pop["text"])
        scopes = ", ".join(f"{n} {k}" for k, n in sorted((c.get("scopes") or {}).items()))
        parts.append(f"snapshots: {scopes}" + ("" if c.get("full_backbone") else " (no full backbone)"))
        obs = c.get("observed") or {}
        if obs.get("age_days"):
            a = obs["age_days"]
            parts.append(f"observation age {a['min']:.0f}-{a['max']:.0f} days (median {a['median']:.0f})")
        elif obs.get("oldest"):
            parts.append(f"observed {obs['oldest'][:10]}" + (f" to {obs['newest'][:10]}"
                                                             if obs["newest"] != obs["oldest"] else ""))
        if c.get("as_of"):
            parts.insert(0, f"census as of {c['as_of'][:10]} (max age {c['max_age_days']} days)")
        flt = c.get("filters") or {}
        for k, vals in flt.items():
            if vals:
                parts.append(f"{k}: {', '.join(vals)}")
        return "coverage: " + "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """The design.md metric JSON."""
        doc: dict[str, Any] = {
            "metric": self.metric,
            "by": self.by,
            "snapshots": self.snapshots,
            "population": self.population,
            "field": self.field,
            "rows": [{c: clean_value(r.get(c)) for c in self.columns} for r in self.rows],
            "notes": list(self.notes),
        }
        if self.options:
            doc["options"] = {k: clean_value(v) for k, v in self.options.items()}
        if self.synthetic:
            doc["synthetic"] = True
        doc["coverage"] = clean_value(self.coverage) if self.coverage else {}
        doc["warnings"] = list(self.warnings)
        if self.census is not None:
            doc["census"] = self.census
        if self.trend is not None:
            doc["trend"] = self.trend
        return doc

    def to_arrow(self) -> pa.Table:
        """The rows as an Arrow table; the metric context rides along as schema metadata."""
        data = {c: [clean_value(r.get(c)) for r in self.rows] for c in self.columns}
        table = pa.table(data) if self.rows else pa.table({c: pa.array([], pa.string()) for c in self.columns})
        meta = {k: v for k, v in self.to_json().items() if k != "rows"}
        return table.replace_schema_metadata({"modelcensus.metric": json.dumps(meta, default=str)})

    def to_csv(self) -> str:
        """The rows as CSV; text cells go through the formula-injection guard (safe_output), numbers do not."""
        rows = ([("" if v is None else ";".join(map(str, v)) if isinstance(v, list) else v)
                 for v in (clean_value(r.get(c)) for c in self.columns)] for r in self.rows)
        return csv_text(self.columns, rows)
