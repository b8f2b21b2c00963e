"""The report model: plain data the templates and the JSON form render (no computation here)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import asdict, dataclass
from typing import Any

from modelcensus import __version__
from modelcensus.outputs.charts import ChartData
from modelcensus.outputs.methods import ATTRIBUTION_CAVEATS, DOWNLOAD_CAVEATS, METHODS, MethodNote


@dataclass
class Column:
    key: str
    title: str
    numeric: bool = False
    fmt: str | None = None  # int | pct | pp | float | list
    code: bool = False  # an identifier from the data (model id): monospace in HTML


@dataclass
class Table:
    """A small table shown in the report (movers, licence-drift examples)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    caption: str = ""
    empty: str = "Nothing to show."

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "columns": [c.key for c in self.columns],
                "rows": [{c.key: jsonable(r.get(c.key)) for c in self.columns} for r in self.rows],
                "caption": self.caption}


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    charts: list[ChartData] = dataclasses.field(default_factory=list)
    tables: list[Table] = dataclasses.field(default_factory=list)
    # shown prominently (e.g. "one snapshot: no time series")
    notices: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)  # how it was computed (the metric notes)
    sources: list[str] = dataclasses.field(default_factory=list)  # keys in Report.metrics behind this section

    def add_chart(self, chart: ChartData) -> None:
        """Add ``chart``, or a notice saying why it is not drawn when it has nothing to draw.

        An empty or single-point series would otherwise render as an empty frame with meaningless axes.
        """
        reason = chart.undrawable()
        if reason:
            self.notices.append(f"{chart.title}: not drawn — {reason}.")
        else:
            self.charts.append(chart)


@dataclass
class Headline:
    key: str
    text: str
    figures: dict[str, Any] = dataclasses.field(default_factory=dict)
    snapshots: list[dict[str, Any]] = dataclasses.field(default_factory=list)  # the snapshots its figures come from


@dataclass
class Report:
    title: str
    synthetic: bool
    generated_at: str
    population: str
    field: str
    registry_version: str
    snapshots: list[dict[str, Any]]
    excluded_snapshots: list[dict[str, Any]]
    headline: list[Headline]
    sections: list[Section]
    grades: list[dict[str, Any]]
    metrics: dict[str, Any]  # key -> MetricResult JSON, or a list of them (one per snapshot)
    # shown at the top: partial inputs, low coverage, no trend
    warnings: list[str] = dataclasses.field(default_factory=list)
    filters: dict[str, Any] = dataclasses.field(default_factory=dict)  # as_of, max_age, pipeline_tag, library
    notes: list[str] = dataclasses.field(default_factory=list)
    download_caveats: tuple[str, ...] = DOWNLOAD_CAVEATS
    attribution_caveats: tuple[str, ...] = ATTRIBUTION_CAVEATS
    methods: tuple[MethodNote, ...] = METHODS
    tool_version: str = __version__

    @property
    def first_date(self) -> str:
        return self.snapshots[0]["observed_at"][:10] if self.snapshots else ""

    @property
    def last_date(self) -> str:
        return self.snapshots[-1]["observed_at"][:10] if self.snapshots else ""

    def to_json(self) -> dict[str, Any]:
        """Every table behind every chart plus the metadata; ``synthetic`` and ``warnings`` are always present."""
        return {
            "report": "modelcensus census report",
            "title": self.title,
            "synthetic": self.synthetic,
            "warnings": list(self.warnings),
            "generated_at": self.generated_at,
            "tool_version": self.tool_version,
            "population": self.population,
            "filters": self.filters,
            "field": self.field,
            "registry_version": self.registry_version,
            "snapshots": self.snapshots,
            "excluded_snapshots": self.excluded_snapshots,
            "headline": [asdict(h) for h in self.headline],
            "sections": [{
                "key": s.key, "title": s.title, "notices": s.notices, "notes": s.notes, "metrics": s.sources,
                "charts": [{"key": c.key, "title": c.title, "kind": c.kind, "x": c.x_title, "y": c.y_title,
                            "source": c.source, "method": c.method,
                            "series": [{"name": x.name, "x": [jsonable(v) for v in x.x],
                                        "y": [jsonable(v) for v in x.y]} for x in c.series]}
                           for c in s.charts],
                "tables": [t.to_json() for t in s.tables],
            } for s in self.sections],
            "grades": self.grades,
            "metrics": self.metrics,
            "methods": [asdict(m) for m in self.methods],
            "caveats": {"downloads": list(self.download_caveats), "attribution": list(self.attribution_caveats)},
            "notes": self.notes,
        }


def jsonable(v: Any) -> Any:
    """A value as JSON: NaN/inf become None, dates ISO text."""
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "isoformat") and not isinstance(v, str):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [jsonable(x) for x in v]
    return v
