"""The census report: which metrics, over which snapshots, with which caveats — and its three forms.

:func:`build_report` picks the snapshots, makes sure each has lineage, asks
:func:`modelcensus.metrics.compute_metric` for every table a chart needs, turns the tables into
chart data and headline sentences (computed, never written by hand), and renders one of:

- ``html``: one self-contained page (plotly.js, CSS inline; no network) with interactive charts;
- ``md``: Markdown plus PNG charts in a ``<name>_files/`` folder beside it;
- ``json``: every metric table behind every chart, plus the metadata (``"synthetic": true`` when
  any snapshot used is synthetic).

All text that comes from the data (model ids, organisation names, licence strings) is untrusted:
Jinja2 autoescapes it in HTML, :func:`md_escape` escapes it in Markdown, and charts escape labels.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from modelcensus import __version__
from modelcensus.errors import InputError, NotFoundError
from modelcensus.outputs.charts import ChartData, Series, chart_html, plotly_js
from modelcensus.store import Snapshot, Store

REPORT_FORMATS = ("html", "md", "json")
TOP_GROUPS = 8  # groups drawn individually in a stacked chart; the rest is summed into "other"
TOP_MOVERS = 10
MIN_MOVE = 0.0005  # a mover must gain or lose at least 0.05 percentage points (shown as ±0.1 pp after rounding)
RAM_POINTS_PER_CLASS = 300  # scatter points per size class in the charts (the JSON keeps every row)
FIELD = "downloads_30d"

DOWNLOAD_CAVEATS = (
    "The Hub counts a download for every GET or HEAD request of a model's designated query files (config.json "
    "and a few others; adapter_config.json for PEFT; model_index.json and top-level weights for diffusers), so "
    "one model load is roughly one download, not one user (methods.md §3.3).",
    "Every GGUF file counts: cloning a repo that holds many quantizations counts many downloads. GGUF repos "
    "therefore over-count against safetensors repos.",
    "Automated pulls (CI test suites, HEAD checks) inflate small, popular models most; this is why RAM compares "
    "a model only with models of its size class.",
    "The Hub's downloads field (used here, stored as downloads_30d) is its trailing 30-day window at the moment of the "
    "snapshot, not a calendar month and not cumulative; all-time counts (downloadsAllTime) are a separate field, "
    "and monthly flows are differences of all-time counts between snapshots.",
    "Quantizations, re-uploads and mirrors split one model's demand across many namespaces; root attribution "
    "re-unites them with the base model's developer, publisher attribution does not.",
    "Private, gated-then-removed and deleted repos vanish from listings: a total summed over the repos of one "
    "snapshot misses them.",
)

ATTRIBUTION_CAVEATS = (
    "Root country: the country of the organisation behind the model's lineage root, reached by walking declared "
    "(card, Hub, tag) and inferred (config, tokenizer, name) parent edges. A merge of k roots gives each 1/k of "
    "its downloads.",
    "Publisher country: the country of the organisation that owns the model's namespace. The two differ for "
    "every derivative published outside its root's country (a US quantizer's GGUF of a Qwen fine-tune is "
    "Chinese at the root, American at the publisher).",
    "'unknown' collects models whose root or publisher namespace is not in the registry, or whose lineage stops "
    "at a missing parent; it is never silently redistributed. The registry version used is shown above.",
    "The evidence grade of an attribution is the weakest step on its path; see the grade table below.",
)

GRADES = ("declared", "hub", "tag", "config", "tokenizer", "name")


# --------------------------------------------------------------------------------------------------
# The report model: plain data the templates and the JSON form render.
# --------------------------------------------------------------------------------------------------

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
                "rows": [{c.key: _jsonable(r.get(c.key)) for c in self.columns} for r in self.rows],
                "caption": self.caption}


@dataclass
class Section:
    key: str
    title: str
    intro: str = ""
    charts: list[ChartData] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # shown prominently (e.g. "one snapshot: no time series")
    notes: list[str] = field(default_factory=list)  # how it was computed (the metric notes)
    sources: list[str] = field(default_factory=list)  # keys in Report.metrics behind this section


@dataclass
class Headline:
    key: str
    text: str
    figures: dict[str, Any] = field(default_factory=dict)


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
    notes: list[str] = field(default_factory=list)
    download_caveats: tuple[str, ...] = DOWNLOAD_CAVEATS
    attribution_caveats: tuple[str, ...] = ATTRIBUTION_CAVEATS
    tool_version: str = __version__

    @property
    def first_date(self) -> str:
        return self.snapshots[0]["observed_at"][:10] if self.snapshots else ""

    @property
    def last_date(self) -> str:
        return self.snapshots[-1]["observed_at"][:10] if self.snapshots else ""

    def to_json(self) -> dict[str, Any]:
        """Every table behind every chart plus the metadata; ``synthetic`` is always present."""
        return {
            "report": "modelcensus census report",
            "title": self.title,
            "synthetic": self.synthetic,
            "generated_at": self.generated_at,
            "tool_version": self.tool_version,
            "population": self.population,
            "field": self.field,
            "registry_version": self.registry_version,
            "snapshots": self.snapshots,
            "excluded_snapshots": self.excluded_snapshots,
            "headline": [asdict(h) for h in self.headline],
            "sections": [{
                "key": s.key, "title": s.title, "notices": s.notices, "notes": s.notes, "metrics": s.sources,
                "charts": [{"key": c.key, "title": c.title, "kind": c.kind, "x": c.x_title, "y": c.y_title,
                            "series": [{"name": x.name, "x": [_jsonable(v) for v in x.x],
                                        "y": [_jsonable(v) for v in x.y]} for x in c.series]}
                           for c in s.charts],
                "tables": [t.to_json() for t in s.tables],
            } for s in self.sections],
            "grades": self.grades,
            "metrics": self.metrics,
            "caveats": {"downloads": list(self.download_caveats), "attribution": list(self.attribution_caveats)},
            "notes": self.notes,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "isoformat") and not isinstance(v, str):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    return v


# --------------------------------------------------------------------------------------------------
# Snapshot selection and prerequisites
# --------------------------------------------------------------------------------------------------

def select_snapshots(store: Store, snapshots: Any = None) -> tuple[list[Snapshot], list[dict[str, Any]]]:
    """The series the report covers, and the snapshots left out with the reason.

    Default: the complete snapshots of the latest complete snapshot's source (and synthetic flag), so a
    series never mixes a partial crawl or another source into the shares. ``snapshots`` (ids) overrides.
    """
    every = store.snapshots()
    if not every:
        raise NotFoundError("the store holds no snapshot (run `modelcensus import`, `pull` or `demo` first)")
    if snapshots:
        ids = snapshots if isinstance(snapshots, list | tuple) else str(snapshots).split(",")
        chosen = sorted({store.snapshot(str(i).strip()).id for i in ids})
        used = [s for s in every if s.id in chosen]
    else:
        complete = [s for s in every if s.complete]
        anchor = complete[-1] if complete else every[-1]
        pool = complete if complete else every
        used = [s for s in pool if s.source == anchor.source and s.synthetic == anchor.synthetic]
    used_ids = {s.id for s in used}
    excluded = []
    for s in every:
        if s.id in used_ids:
            continue
        if snapshots:
            reason = "not requested"
        elif not s.complete:
            reason = "partial snapshot"
        elif s.source != used[-1].source:
            reason = f"other source than {used[-1].source}"
        else:
            reason = "synthetic flag differs from the series"
        excluded.append({"id": s.id, "source": s.source, "observed_at": s.as_dict()["observed_at"], "reason": reason})
    return used, excluded


def _ensure_lineage(store: Store, snaps: list[Snapshot], registry: Any) -> list[str]:
    """Build lineage for every snapshot used (no-op when current); InputError when none can be had."""
    notes: list[str] = []
    try:
        from modelcensus.lineage import ensure_lineage
    except ImportError:
        ensure_lineage = None
    for s in snaps:
        if ensure_lineage is not None:
            ensure_lineage(store, s.id, registry)
    missing = [s.id for s in snaps if not (store._one("SELECT count(*) FROM origins WHERE snapshot_id = ?",
                                                      [s.id]) or (0,))[0]]
    if missing and len(missing) == len(snaps):
        raise InputError(f"snapshot(s) {', '.join(map(str, missing))}: no lineage (origins) in the store and the "
                         "lineage stage could not build it, so nothing can be attributed to a country")
    if missing:
        notes.append(f"no lineage for snapshot(s) {', '.join(map(str, missing))}: their models count as unknown")
    return notes


def _compute(store: Store, name: str, **kw: Any) -> Any:
    try:
        from modelcensus.metrics import compute_metric
    except ImportError as exc:  # pragma: no cover - the metrics stage ships with the package
        raise InputError(f"the metrics stage is not available ({exc})") from None
    return compute_metric(store, name, **kw)


# --------------------------------------------------------------------------------------------------
# Formatting helpers shared by the headline, the tables and the templates
# --------------------------------------------------------------------------------------------------

def pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x * 100:.{digits}f} %"


def pp(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:+.1f} pp"


def fmt_int(x: Any) -> str:
    if x is None:
        return "n/a"
    try:
        return f"{round(float(x)):,}"
    except (TypeError, ValueError):
        return str(x)


def fmt_num(x: Any) -> str:
    """A count that may be fractional (merges credit 1/k): 1,234 or 1.5."""
    if x is None:
        return "n/a"
    v = float(x)
    return f"{round(v):,}" if abs(v - round(v)) < 1e-9 else f"{v:,.2f}".rstrip("0").rstrip(".")


def fmt_cell(v: Any, fmt: str | None = None) -> str:
    """A table cell as text (the templates escape it afterwards)."""
    if v is None:
        return "—"
    if fmt == "pct":
        return pct(v)
    if fmt == "pp":
        return pp(v)
    if fmt == "round":
        return fmt_int(v)
    if fmt == "float":
        return f"{v:.3g}"
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    if fmt == "int" or isinstance(v, int | float) and not isinstance(v, bool):
        return fmt_num(v) if (fmt == "int" or float(v).is_integer()) else f"{v:.3g}"
    return str(v)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~])")


def md_escape(text: Any) -> str:
    """Escape untrusted text for Markdown: HTML metacharacters become entities, Markdown ones get a backslash.

    Newlines become spaces so a value can never start a new block (heading, table row, HTML block).
    """
    s = "" if text is None else str(text)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return re.sub(r"[\r\n\t\v\f\u2028\u2029]+", " ", s)


class CountryNames:
    """ISO code -> 'China (CN)', from the registry's country table (knowledge is data)."""

    def __init__(self, registry: Any) -> None:
        self.names: dict[str, str] = dict(getattr(registry, "countries", {}) or {})

    def label(self, code: Any) -> str:
        if code is None:
            return "unknown"
        name = self.names.get(str(code).upper())
        return f"{name} ({code})" if name else str(code)

    def name(self, code: Any) -> str:
        if code is None:
            return "unknown"
        return self.names.get(str(code).upper(), str(code))


# --------------------------------------------------------------------------------------------------
# Building the report
# --------------------------------------------------------------------------------------------------

class _Builder:
    """Collects metric results and turns them into sections and headline sentences."""

    def __init__(self, store: Store, registry: Any, snaps: list[Snapshot], population: str) -> None:
        self.store = store
        self.registry = registry
        self.snaps = snaps
        self.population = population
        self.ids = [s.id for s in snaps]
        self.first, self.last = snaps[0], snaps[-1]
        self.series = len(snaps) > 1
        self.metrics: dict[str, Any] = {}
        self.headline: list[Headline] = []
        self.countries = CountryNames(registry)
        self.notes: list[str] = []

    # -- metric calls ------------------------------------------------------------------------------
    def metric(self, key: str, name: str, **kw: Any) -> Any:
        res = _compute(self.store, name, population=self.population, registry=self.registry, ensure=False, **kw)
        self.metrics[key] = res.to_json()
        return res

    def family_label(self, key: Any) -> str:
        """The registry's family name for a family key ('unknown' for none)."""
        if key is None:
            return "unknown"
        fam = self.registry.family(str(key)) if hasattr(self.registry, "family") else None
        return getattr(fam, "name", None) or str(key)

    def date(self, s: Snapshot) -> str:
        return s.as_dict()["observed_at"][:10]

    # -- shares over time --------------------------------------------------------------------------
    def _stacked(self, key: str, title: str, res: Any, col: str, label: Any, weight: str, x_title: str,
                 y_title: str) -> ChartData:
        """Stacked monthly shares from a metric with (month, group, weight, share) rows.

        The largest groups over the whole period are drawn; the rest is summed into 'other' and the
        NULL group is 'unknown'. A single month cannot make an area, so it is drawn as bars.
        """
        months = sorted({r["month"] for r in res.rows if r.get("month")})
        total: dict[Any, float] = {}
        for r in res.rows:
            if r.get(col) is not None:
                total[r[col]] = total.get(r[col], 0.0) + float(r.get(weight) or 0)
        top = sorted(total, key=lambda g: (-total[g], str(g)))[:TOP_GROUPS]
        names = [*top, "other", None]
        idx = {m: i for i, m in enumerate(months)}
        values = {g: [0.0] * len(months) for g in names}
        for r in res.rows:
            if r.get("month") in idx:
                g = r.get(col)
                values[g if g is None or g in top else "other"][idx[r["month"]]] += float(r.get("share") or 0)
        series = [Series(label(g) if g != "other" else "other", [f"{m}-01" for m in months], values[g])
                  for g in names if any(values[g])]
        if len(months) < 2:
            bars = [Series(months[0] if months else "no month", [s.name for s in series], [s.y[0] for s in series])]
            return ChartData(key, title, "bars", "group", y_title, bars, percent=True)
        return ChartData(key, title, "area", x_title, y_title, series, percent=True)

    def _bars(self, key: str, title: str, res: Any, col: str, label: Any) -> ChartData:
        """One snapshot's shares as bars: the top groups, 'other' and 'unknown'."""
        rows = [r for r in res.rows if r.get("share") is not None]
        known = [r for r in rows if r.get(col) is not None][:TOP_GROUPS]
        rest = sum(float(r["share"]) for r in rows if r.get(col) is not None) - sum(float(r["share"]) for r in known)
        unknown = sum(float(r["share"]) for r in rows if r.get(col) is None)
        x = [label(r[col]) for r in known] + (["other"] if rest > 1e-12 else []) + (["unknown"] if unknown else [])
        y = [float(r["share"]) for r in known] + ([rest] if rest > 1e-12 else []) + ([unknown] if unknown else [])
        return ChartData(key, title, "bars", "group", f"share of {FIELD}",
                         [Series(f"snapshot {self.date(self.last)}", x, y)], percent=True)

    @staticmethod
    def _share_of(res: Any, col: str, group: Any) -> float:
        for r in res.rows:
            if r.get(col) == group:
                return float(r.get("share") or 0.0)
        return 0.0

    def countries_section(self) -> Section:
        lab = self.countries.label
        root = [self.metric("downloads_by_root_country_latest", "downloads", by="root_country", field=FIELD,
                            snapshot=self.last.id)]
        pub = [self.metric("downloads_by_publisher_country_latest", "downloads", by="publisher_country",
                           field=FIELD, snapshot=self.last.id)]
        sources = ["downloads_by_root_country_latest", "downloads_by_publisher_country_latest"]
        if self.series:
            root.insert(0, self.metric("downloads_by_root_country_first", "downloads", by="root_country",
                                       field=FIELD, snapshot=self.first.id))
            sources.append("downloads_by_root_country_first")
        sec = Section("countries", "Who is downloaded: shares by country over time",
                      "Share of downloads credited to the country of the model's lineage root (top), and for "
                      "contrast to the country of the namespace that publishes it (bottom).", sources=sources)
        if self.series:
            by_root = self.metric("monthly_downloads_by_root_country", "downloads_monthly", by="root_country",
                                  snapshots=self.ids)
            by_pub = self.metric("monthly_downloads_by_publisher_country", "downloads_monthly",
                                 by="publisher_country", snapshots=self.ids)
            sec.sources += ["monthly_downloads_by_root_country", "monthly_downloads_by_publisher_country"]
            y = "share of the month's downloads"
            sec.charts.append(self._stacked("country-root", "Monthly downloads by root country (share)", by_root,
                                            "root_country", lab, "downloads", "month", y))
            sec.charts.append(self._stacked("country-publisher", "Monthly downloads by publisher country (share)",
                                            by_pub, "publisher_country", lab, "downloads", "month", y))
            sec.charts[0].caption = (
                "A month's downloads are the growth of all-time download counts between consecutive snapshots, "
                "spread over the calendar months the interval covers (methods.md §3.5); the first snapshot is a "
                "level, not a flow, so the series starts one interval later. Stacked shares add up to 100 %; "
                "'other' sums the smaller countries, 'unknown' the unattributed models. The headline's 30-day "
                "figures read the Hub's trailing-30-day field at the first and latest snapshots instead.")
            sec.notes = _dedupe(by_root.notes + by_pub.notes)
        else:
            sec.charts.append(self._bars("country-root", "30-day downloads by root country (share)", root[-1],
                                         "root_country", lab))
            sec.charts.append(self._bars("country-publisher", "30-day downloads by publisher country (share)",
                                         pub[-1], "publisher_country", lab))
            sec.notices.append("The store holds one snapshot for this series, so there is no time series: the "
                               "bars show that snapshot's 30-day downloads. Import or pull more snapshots to see "
                               "trends.")
            sec.notes = _dedupe(root[-1].notes + pub[-1].notes)
        self._country_headlines(root, pub)
        return sec

    def _country_headlines(self, root: list[Any], pub: list[Any]) -> None:
        last = [r for r in root[-1].rows if r.get("root_country") is not None and r.get("share") is not None]
        if not last:
            self.headline.append(Headline("root-country", "No download in the latest snapshot could be attributed to "
                                                          "a root country."))
            return
        lead = last[0]
        code, share = lead["root_country"], float(lead["share"])
        when = self.date(self.last)
        text = (f"In the latest snapshot ({when}), {pct(share)} of 30-day downloads go to models whose lineage root "
                f"is in {self.countries.label(code)}")
        figures: dict[str, Any] = {"country": code, "share_latest": share, "snapshot_latest": self.last.id}
        if self.series:
            before = self._share_of(root[0], "root_country", code)
            word = "up" if share > before else "down" if share < before else "unchanged"
            since = f"the first snapshot ({self.date(self.first)})"
            text += f", {word} from {pct(before)} in {since}" if word != "unchanged" else f", unchanged since {since}"
            figures.update(share_first=before, snapshot_first=self.first.id)
        self.headline.append(Headline("root-country", text + ".", figures))
        if len(last) > 1:
            second = last[1]
            self.headline.append(Headline(
                "root-country-second",
                f"Next comes {self.countries.label(second['root_country'])} with {pct(float(second['share']))}.",
                {"country": second["root_country"], "share_latest": float(second["share"])}))
        pub_share = self._share_of(pub[-1], "publisher_country", code)
        self.headline.append(Headline(
            "publisher-contrast",
            f"Counted by the publisher's country instead of the root's, {self.countries.name(code)} takes "
            f"{pct(pub_share)}: lineage attribution moves {abs(share - pub_share) * 100:.1f} percentage points of "
            f"downloads {'towards' if share >= pub_share else 'away from'} it.",
            {"country": code, "publisher_share_latest": pub_share, "root_share_latest": share}))
        unknown = self._share_of(root[-1], "root_country", None)
        self.headline.append(Headline(
            "unknown-root",
            f"{pct(unknown)} of 30-day downloads go to models whose root country is unknown (not in the registry, or "
            "lineage broken by a missing parent).", {"share_latest": unknown}))

    # -- derivatives -------------------------------------------------------------------------------
    def derivatives_section(self) -> Section:
        since = (self.first.observed_at if self.series
                 else self.last.observed_at - timedelta(days=730))
        fam = self.metric("derivative_share_by_family", "derivative_share", by="family", since=since,
                          snapshot=self.last.id)
        ctry = self.metric("derivative_share_by_root_country", "derivative_share", by="root_country", since=since,
                           snapshot=self.last.id)
        sec = Section("derivatives", "Derivatives: which families new models build on",
                      "Share of the new derivative repos (fine-tunes, adapters, quantizations, merges) created each "
                      "month, credited to the family and to the country of their lineage root. Derivative share "
                      "tends to lead downloads.", sources=["derivative_share_by_family",
                                                           "derivative_share_by_root_country"])
        y = "share of new derivatives"
        sec.charts.append(self._stacked("derivatives-family", "New derivatives by root family (share)", fam,
                                        "family", self.family_label, "derivatives", "month created", y))
        sec.charts.append(self._stacked("derivatives-country", "New derivatives by root country (share)", ctry,
                                        "root_country", self.countries.label, "derivatives", "month created", y))
        sec.charts[0].caption = (f"Month = the derivative's createdAt month, from {since:%Y-%m} to the latest "
                                 f"snapshot ({self.date(self.last)}); the last month is partial.")
        months = sorted({r["month"] for r in fam.rows if r.get("month")})
        if len(months) < 2:
            sec.notices.append("Fewer than two months of new derivatives in range: no trend to draw.")
        sec.notes = _dedupe(fam.notes)
        rows = [r for r in fam.rows if r.get("month") and r.get("family") is not None]
        full = [m for m in months if m < f"{self.last.observed_at:%Y-%m}"] or months
        if full and rows:
            m = full[-1]
            top = max((r for r in rows if r["month"] == m), key=lambda r: r["share"], default=None)
            if top is not None:
                self.headline.append(Headline(
                    "derivatives-family",
                    f"Of the new derivative repos created in {m}, {pct(float(top['share']))} build on the "
                    f"{self.family_label(top['family'])} family, the largest share.",
                    {"month": m, "family": top["family"], "share": float(top["share"])}))
        return sec

    # -- RAM ---------------------------------------------------------------------------------------
    def ram_section(self) -> Section:
        res = self.metric("ram", "ram", latest=True, snapshots=self.ids)
        sec = Section("ram", "Relative adoption (RAM) by size class",
                      "ATOM's Relative Adoption Metric: a model's cumulative downloads at a given age divided by "
                      "those of the 10th most-downloaded model of its size class at the same age. RAM above 1 "
                      "means on pace for the all-time top 10 of its class. Each point is a model at the oldest "
                      "age checkpoint it has reached.", sources=["ram"])
        rows = [r for r in res.rows if r.get("ram") is not None and r["ram"] > 0 and r.get("size_class")]
        by_class: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_class.setdefault(r["size_class"], []).append(r)
        order = ("<1B", "1-5B", "7-9B", "10-50B", "50-100B", "100-250B", "250B+")
        series = []
        capped = False
        for sc in sorted(by_class, key=lambda c: order.index(c) if c in order else len(order)):
            pts = sorted(by_class[sc], key=lambda r: (-(r.get("downloads") or 0), str(r["model"])))
            capped |= len(pts) > RAM_POINTS_PER_CLASS
            pts = pts[:RAM_POINTS_PER_CLASS]
            series.append(Series(sc, [r["age_days"] for r in pts], [float(r["ram"]) for r in pts],
                                 hover=[f"{r['model']} — {fmt_int(r.get('downloads'))} downloads" for r in pts]))
        chart = ChartData("ram-scatter", "RAM vs age, by size class", "scatter", "age checkpoint (days since release)",
                          "RAM (log scale; 1 = 10th-ranked model of the class)", series, log_x=True, log_y=True,
                          x_ticks=sorted({r["age_days"] for r in rows}))
        chart.caption = (f"{len(rows):,} models with a defined RAM"
                         + (f"; the chart shows the {RAM_POINTS_PER_CLASS} most-downloaded per size class, the JSON "
                            "form holds all" if capped else "") + ".")
        if rows:
            sec.charts.append(chart)
        else:
            sec.notices.append("No model has a defined RAM: every size class needs at least 10 models old enough "
                               "for each age checkpoint.")
        sec.notes = _dedupe(res.notes)
        above = [r for r in rows if r["ram"] > 1]
        if rows:
            topr = max(rows, key=lambda r: (r["ram"], str(r["model"])))
            self.headline.append(Headline(
                "ram",
                f"{len(above):,} of {len(rows):,} models with a defined RAM are above 1 (on pace for the all-time top "
                f"10 of their size class); the highest is {topr['model']} ({topr['size_class']}, RAM "
                f"{_ram(topr['ram'])} at {topr['age_days']} days).",
                {"above_one": len(above), "defined": len(rows), "top_model": topr["model"], "top_ram": topr["ram"]}))
        return sec

    # -- concentration -----------------------------------------------------------------------------
    def concentration_section(self) -> Section:
        units = (("org", "organisations (root)"), ("family", "families"), ("root_country", "root countries"))
        results = {u: self.metric(f"concentration_by_{u}", "concentration", by=u, field=FIELD, series=True,
                                  snapshots=self.ids, k="1,5,10") for u, _ in units}
        sec = Section("concentration", "Concentration of downloads",
                      "How concentrated 30-day downloads are over organisations, families and countries (all "
                      "credited through the lineage root). HHI is the sum of squared shares (1 = one group takes "
                      "everything); Gini measures inequality among the groups; top-5 share is the share of the "
                      "five largest.", sources=[f"concentration_by_{u}" for u, _ in units])
        measures = (("hhi", "HHI"), ("gini", "Gini"), ("cr5", "Top-5 share"))
        if self.series:
            for col, name in measures:
                series = [Series(title, [str(r["observed_at"])[:10] for r in results[u].rows],
                                 [_f(r.get(col)) for r in results[u].rows]) for u, title in units]
                sec.charts.append(ChartData(f"concentration-{col}", f"{name} over time", "lines",
                                            "snapshot (observed at)", name, series, percent=col == "cr5"))
        else:
            series = [Series(title, [n for _, n in measures], [_f((results[u].rows or [{}])[-1].get(c))
                                                               for c, _ in measures]) for u, title in units]
            sec.charts.append(ChartData("concentration-bars", "Concentration in the latest snapshot", "bars",
                                        "measure", "value (0-1)", series))
            sec.notices.append("One snapshot: concentration is shown for that snapshot only, with no trend.")
        sec.notes = _dedupe([n for u, _ in units for n in results[u].notes])
        org_rows = results["org"].rows
        if org_rows and org_rows[-1].get("cr5") is not None:
            last, first = org_rows[-1], org_rows[0]
            text = (f"The five largest organisations (credited through lineage roots) take {pct(_f(last['cr5']))} "
                    f"of 30-day downloads; HHI over organisations is {_f(last['hhi']):.3f}")
            if self.series and first.get("hhi") is not None:
                text += f" (first snapshot: {pct(_f(first['cr5']))} and {_f(first['hhi']):.3f})"
            self.headline.append(Headline("concentration", text + ".",
                                          {"cr5_latest": last["cr5"], "hhi_latest": last["hhi"],
                                           "cr5_first": first.get("cr5"), "hhi_first": first.get("hhi")}))
        return sec

    # -- licences ----------------------------------------------------------------------------------
    def licences_section(self) -> Section:
        fam = self.metric("licence_drift_by_family", "licence_drift", by="family", field=FIELD, snapshot=self.last.id,
                          examples=3)
        pairs = self.metric("licence_drift_pairs", "licence_drift", by="family", field=FIELD, snapshot=self.last.id,
                            pairs=True, examples=3)
        sec = Section("licences", "Licence drift along lineage",
                      "Derivatives labelled more permissively than their lineage root (for example a Llama-licensed "
                      "root under a derivative marked MIT), in the latest snapshot. Licence classes and their order "
                      "come from the registry; unknown or custom licences never count as drift.",
                      sources=["licence_drift_by_family", "licence_drift_pairs"])
        drifted = [r for r in fam.rows if (r.get("drifted") or 0) > 0]
        drifted.sort(key=lambda r: (-float(r["drifted"]), str(r.get("family"))))
        if drifted:
            shown = drifted[:12]
            sec.charts.append(ChartData(
                "licence-drift", "Derivatives more permissive than their root, by root family", "bars", "family",
                "derivatives", [Series("drifted derivatives", [self.family_label(r.get("family")) for r in shown],
                                       [float(r["drifted"]) for r in shown])]))
        else:
            sec.notices.append("No derivative in the latest snapshot is labelled more permissively than its root.")
        sec.tables.append(Table(
            "licence-drift-pairs", "Most common drifts (root licence → derivative licence)",
            [Column("root_license", "root licence", code=True),
             Column("child_license", "derivative licence", code=True),
             Column("derivatives", "derivatives", True, "int"), Column("downloads", "30-day downloads", True, "round"),
             Column("examples", "most-downloaded examples", fmt="list", code=True)],
            pairs.rows[:TOP_MOVERS], empty="No licence drift found."))
        sec.notes = _dedupe(fam.notes)
        total_d = sum(float(r.get("drifted") or 0) for r in fam.rows)
        comparable = sum(float(r.get("comparable") or 0) for r in fam.rows)
        weighted = "credit-weighted, a merge counts 1/k per root; " if abs(total_d - round(total_d)) > 1e-9 else ""
        text = (f"{fmt_num(total_d)} derivatives ({weighted}{pct(total_d / comparable) if comparable else 'n/a'} of "
                "those whose licence and root licence are comparable) are labelled more permissively than their root")
        if pairs.rows:
            p = pairs.rows[0]
            text += f"; the most common drift is {p['root_license']} → {p['child_license']}"
        self.headline.append(Headline("licence-drift", text + ".",
                                      {"drifted": total_d, "comparable": comparable}))
        return sec

    # -- top movers --------------------------------------------------------------------------------
    def movers_section(self) -> Section:
        sec = Section("movers", "Top movers",
                      "Organisations (credited through lineage roots) and individual models whose share of 30-day "
                      "downloads rose or fell most between the first and the latest snapshot, in percentage points.")
        if not self.series:
            sec.notices.append("One snapshot: movers need at least two snapshots.")
            return sec
        first = self.metric("downloads_by_org_first", "downloads", by="org", field=FIELD, snapshot=self.first.id)
        last = self.metric("downloads_by_org_latest", "downloads", by="org", field=FIELD, snapshot=self.last.id)
        sec.sources = ["downloads_by_org_first", "downloads_by_org_latest", "model_movers"]
        org_rows = _movers({r["org"]: r for r in first.rows if r.get("org") is not None},
                           {r["org"]: r for r in last.rows if r.get("org") is not None})
        cols = [Column("name", "organisation"), Column("share_first", f"share {self.date(self.first)}", True, "pct"),
                Column("share_last", f"share {self.date(self.last)}", True, "pct"),
                Column("change", "change", True, "pp"), Column("downloads_last", "30-day downloads (latest)", True,
                                                               "round")]
        rises = [r for r in org_rows if r["change"] >= MIN_MOVE][:TOP_MOVERS]
        falls = sorted((r for r in org_rows if r["change"] <= -MIN_MOVE), key=lambda r: r["change"])[:TOP_MOVERS]
        sec.tables += [Table("movers-org-up", "Organisations gaining share", cols, rises,
                             empty="No organisation gained 0.05 percentage points or more."),
                       Table("movers-org-down", "Organisations losing share", cols, falls,
                             empty="No organisation lost 0.05 percentage points or more.")]
        model_rows = self.model_movers()
        mcols = [Column("name", "model", code=True), *cols[1:]]
        sec.tables += [Table("movers-model-up", "Models gaining share", mcols,
                             [r for r in model_rows if r["change"] >= MIN_MOVE][:TOP_MOVERS],
                             empty="No model gained share."),
                       Table("movers-model-down", "Models losing share", mcols,
                             sorted((r for r in model_rows if r["change"] <= -MIN_MOVE),
                                    key=lambda r: r["change"])[:TOP_MOVERS],
                             empty="No model lost share.")]
        sec.notes = _dedupe(last.notes + ["model shares = the model's 30-day downloads over the population's total in "
                                          "the same snapshot; a model absent from a snapshot has share 0 there"])
        if rises:
            up = rises[0]
            text = (f"Between {self.date(self.first)} and {self.date(self.last)}, {up['name']} gained most: from "
                    f"{pct(up['share_first'])} to {pct(up['share_last'])} of 30-day downloads ({pp(up['change'])})")
            if falls:
                dn = falls[0]
                text += (f"; {dn['name']} lost most, from {pct(dn['share_first'])} to {pct(dn['share_last'])} "
                         f"({pp(dn['change'])})")
            self.headline.append(Headline("movers", text + ".", {"up": up, "down": falls[0] if falls else None}))
        return sec

    def model_movers(self) -> list[dict[str, Any]]:
        """Per-model share change between the first and latest snapshots (one set-based query)."""
        from modelcensus.metrics.population import population_sql

        cond = population_sql(self.population, "m")
        rows = self.store._exec(f"""
            WITH s AS (
              SELECT m.snapshot_id, m.id, m.id_lower, coalesce(m.downloads_30d, 0) AS d,
                     coalesce(m.downloads_30d, 0) / nullif(sum(coalesce(m.downloads_30d, 0))
                         OVER (PARTITION BY m.snapshot_id), 0) AS share
              FROM models m WHERE m.snapshot_id IN (?, ?) AND {cond}),
            a AS (SELECT * FROM s WHERE snapshot_id = ?), b AS (SELECT * FROM s WHERE snapshot_id = ?)
            SELECT coalesce(b.id, a.id) AS name, coalesce(a.share, 0) AS share_first,
                   coalesce(b.share, 0) AS share_last, coalesce(b.share, 0) - coalesce(a.share, 0) AS change,
                   b.d AS downloads_last
            FROM a FULL JOIN b USING (id_lower)
            ORDER BY abs(coalesce(b.share, 0) - coalesce(a.share, 0)) DESC, name
            LIMIT {4 * TOP_MOVERS}
        """, [self.first.id, self.last.id, self.first.id, self.last.id]).fetchall()
        out = [{"name": r[0], "share_first": float(r[1]), "share_last": float(r[2]), "change": float(r[3]),
                "downloads_last": r[4]} for r in rows]
        self.metrics["model_movers"] = {
            "table": "model_movers", "computed_by": "modelcensus.outputs.report.model_movers",
            "field": FIELD, "population": self.population,
            "snapshots": [self.first.as_dict(), self.last.as_dict()],
            "rows": [{k: _jsonable(v) for k, v in r.items()} for r in out],
            **({"synthetic": True} if self.first.synthetic or self.last.synthetic else {})}
        return sorted(out, key=lambda r: (-round(r["change"], 12), str(r["name"])))

    # -- provenance --------------------------------------------------------------------------------
    def grades(self) -> list[dict[str, Any]]:
        """Weighted model counts and download shares per evidence grade (latest snapshot)."""
        from modelcensus.metrics.population import population_sql

        cond = population_sql(self.population, "m")
        rows = self.store._exec(f"""
            SELECT o.grade, sum(o.weight) AS models, sum(o.weight * coalesce(m.downloads_30d, 0)) AS downloads
            FROM origins o JOIN models m ON m.snapshot_id = o.snapshot_id AND m.id = o.model_id
            WHERE o.snapshot_id = ? AND {cond} GROUP BY o.grade
        """, [self.last.id]).fetchall()
        tot_m = sum(float(r[1]) for r in rows) or 0.0
        tot_d = sum(float(r[2]) for r in rows) or 0.0
        order = {g: i for i, g in enumerate(GRADES)}
        out = [{"grade": r[0], "models": float(r[1]), "model_share": float(r[1]) / tot_m if tot_m else None,
                "download_share": float(r[2]) / tot_d if tot_d else None} for r in rows]
        return sorted(out, key=lambda g: order.get(g["grade"], len(order)))


def _ram(v: float) -> str:
    return f"{v:.2f}" if v < 100 else f"{v:,.0f}"


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _movers(first: dict[Any, dict[str, Any]], last: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for g in set(first) | set(last):
        a = float((first.get(g) or {}).get("share") or 0.0)
        b = float((last.get(g) or {}).get("share") or 0.0)
        out.append({"name": g, "share_first": a, "share_last": b, "change": b - a,
                    "downloads_last": (last.get(g) or {}).get("downloads")})
    return sorted(out, key=lambda r: (-round(r["change"], 12), str(r["name"])))


def build_report_model(store: Store, *, registry: Any, snapshots: Any = None, population: str = "all") -> Report:
    """Compute everything the report shows (no rendering)."""
    if registry is None:
        from modelcensus.lineage.registry import load_registry

        registry = load_registry()
    snaps, excluded = select_snapshots(store, snapshots)
    notes = _ensure_lineage(store, snaps, registry)
    b = _Builder(store, registry, snaps, population)
    from modelcensus.metrics.scope import shared_work

    # the metrics share one download panel and one models x origins credit base per snapshot set
    with shared_work(store):
        sections = [b.countries_section(), b.derivatives_section(), b.ram_section(), b.concentration_section(),
                    b.licences_section(), b.movers_section()]
    synthetic = any(s.synthetic for s in snaps)
    title = "modelcensus: who builds the open models the world downloads"
    return Report(
        title=title, synthetic=synthetic,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        population=population, field=FIELD, registry_version=str(getattr(registry, "version", "unknown")),
        snapshots=[s.as_dict() for s in snaps], excluded_snapshots=excluded, headline=b.headline,
        sections=sections, grades=b.grades(), metrics=b.metrics, notes=notes + b.notes)


# --------------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------------

def _env(autoescape: bool) -> Environment:
    env = Environment(loader=PackageLoader("modelcensus.outputs", "templates"),
                      autoescape=select_autoescape(["html.j2"]) if autoescape else False,
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False,
                      keep_trailing_newline=True)
    env.filters["md"] = md_escape
    env.filters["cell"] = (lambda v, f=None: fmt_cell(v, f)) if autoescape else (lambda v, f=None:
                                                                                  md_escape(fmt_cell(v, f)))
    return env


def render_html(report: Report) -> str:
    """The self-contained HTML page (plotly.js inline once; no external resource)."""
    divs = {c.key: chart_html(c) for s in report.sections for c in s.charts}
    return _env(True).get_template("report.html.j2").render(r=report, chart_divs=divs, plotly_js=plotly_js())


def render_markdown(report: Report, out: Path) -> str:
    """Markdown text; the PNG charts go to ``<stem>_files/`` beside ``out`` and are linked relatively."""
    from modelcensus.outputs.static_charts import render_png

    folder = out.parent / f"{out.stem}_files"
    images = {}
    for s in report.sections:
        for c in s.charts:
            render_png(c, folder / f"{c.key}.png")
            images[c.key] = quote(f"{folder.name}/{c.key}.png")
    return _env(False).get_template("report.md.j2").render(r=report, images=images)


def build_report(store: Store, *, out: str | Path | None = None, fmt: str = "html", registry: Any = None,
                 snapshots: Any = None, population: str = "all") -> Path | dict[str, Any]:
    """Build the census report. Returns the written path, or the JSON document when ``fmt='json'`` and no ``out``."""
    fmt = (fmt or "html").lower()
    if fmt not in REPORT_FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(REPORT_FORMATS)}")
    report = build_report_model(store, registry=registry, snapshots=snapshots, population=population)
    if fmt == "json" and out is None:
        return report.to_json()
    return write_report(report, Path(out) if out is not None else Path(f"modelcensus-report.{fmt}"), fmt)


def write_report(report: Report, path: Path, fmt: str) -> Path:
    """Render an already computed report in one format (so several formats cost one computation)."""
    if fmt == "json":
        _write(path, json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str) + "\n")
    elif fmt == "html":
        _write(path, render_html(report))
    elif fmt == "md":
        try:  # the Markdown's chart images go to a folder beside it
            text = render_markdown(report, path)
        except OSError as exc:
            raise InputError(f"--out {path}: cannot write its chart images ({exc.strerror or exc})") from None
        _write(path, text)
    else:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(REPORT_FORMATS)}")
    return path


def _write(path: Path, text: str) -> None:
    """Write atomically (temp file + rename) so a failed build never leaves half a report."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"--out {path}: cannot write ({exc.strerror or exc})") from None
