"""The report builder's shared state: which snapshots, which metric calls, and how figures are sourced.

The sections (:mod:`sections_downloads`, :mod:`sections_lineage`) ask :meth:`ReportBuilder.metric` for
every table, build charts with :meth:`ReportBuilder.source_line` under them, and add headline items with
the snapshots their figures come from (:meth:`ReportBuilder.headline_item`). Nothing here writes text
about a change: whether one may be stated is :class:`~modelcensus.outputs.selection.Trend`'s answer.
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics.report_figures import grade_shares
from modelcensus.outputs.charts import ChartData, Series, share_bar_values
from modelcensus.outputs.formatting import CountryNames, describe_scope, fmt_int, public_snapshot
from modelcensus.outputs.methods import GRADES
from modelcensus.outputs.model import Headline
from modelcensus.outputs.selection import Points, Trend, scope_of, snapshot_points
from modelcensus.store import Snapshot, Store

TOP_GROUPS = 8  # groups drawn individually in a stacked chart; the rest is summed into "other"
TOP_MOVERS = 10
MIN_MOVE = 0.0005  # a mover must gain or lose at least 0.05 percentage points (shown as ±0.1 pp after rounding)
RAM_POINTS_PER_CLASS = 300  # scatter points per size class in the charts (the JSON keeps every row)
FIELD = "downloads_30d"
LOW_KNOWN_SHARE = 0.5  # below this share of downloads attributed to a known root country, the report warns


def _compute(store: Store, name: str, **kw: Any) -> Any:
    try:
        from modelcensus.metrics import compute_metric
    except ImportError as exc:  # pragma: no cover - the metrics stage ships with the package
        raise InputError(f"the metrics stage is not available ({exc})") from None
    return compute_metric(store, name, **kw)


class ReportBuilder:
    """Collects metric results, headline items and warnings for one report."""

    def __init__(self, store: Store, registry: Any, snaps: list[Snapshot], trend: Trend, population: str,
                 filters: dict[str, Any] | None = None, points: Points | None = None) -> None:
        self.store = store
        self.registry = registry
        self.snaps = snaps
        self.trend = trend
        self.population = population
        self.filters = {k: v for k, v in (filters or {}).items() if v not in (None, [], ())}
        self.last = snaps[-1]
        self.first = trend.series[0]  # the earliest snapshot comparable with the latest one
        self.series = trend.drawn
        self.ids = [s.id for s in trend.series]
        # the latest figures and the base a change is read from: snapshots, or censuses as of a date
        self.points = points or snapshot_points(trend)
        self.metrics: dict[str, Any] = {}
        self.headline: list[Headline] = []
        self.countries = CountryNames(registry)
        self.notes: list[str] = []
        self.metric_warnings: dict[str, str] = {}  # code -> the first message (one per kind of warning)

    # -- metric calls ------------------------------------------------------------------------------
    def metric(self, key: str, name: str, **kw: Any) -> Any:
        res = _compute(self.store, name, population=self.population, registry=self.registry, ensure=False,
                       **self.filters, **kw)
        self.metrics[key] = res.to_json()
        for w in getattr(res, "warnings", None) or []:
            code, msg = (w.get("code", ""), w.get("message", "")) if isinstance(w, dict) else ("", str(w))
            if msg and code not in self.metric_warnings:
                self.metric_warnings[code or msg] = msg
        return res

    def family_label(self, key: Any) -> str:
        """The registry's family name for a family key ('unknown' for none)."""
        if key is None:
            return "unknown"
        fam = self.registry.family(str(key)) if hasattr(self.registry, "family") else None
        return getattr(fam, "name", None) or str(key)

    @staticmethod
    def date(s: Snapshot) -> str:
        return s.as_dict()["observed_at"][:10]

    # -- provenance of figures ---------------------------------------------------------------------
    @staticmethod
    def snapshot_refs(snaps: list[Snapshot]) -> list[dict[str, Any]]:
        """What a headline item names: id, date, source and scope of each snapshot (no local path)."""
        out = []
        for s in snaps:
            d = public_snapshot(s)
            out.append({"id": d["id"], "observed_at": d["observed_at"], "source": d["source"],
                        "scope": scope_of(s), "covers": describe_scope(s)})
        return out

    def headline_item(self, key: str, text: str, figures: dict[str, Any], snaps: list[Snapshot]) -> None:
        self.headline.append(Headline(key, text, figures, self.snapshot_refs(snaps)))

    def describe_snapshots(self, snaps: list[Snapshot]) -> str:
        """'snapshots 21, 22 (flat-file, partial: tree google/gemma-7b; 2025-04-23 → 2025-04-26)'."""
        groups: dict[tuple[str, str], list[Snapshot]] = {}
        for s in snaps:
            groups.setdefault((s.source, describe_scope(s)), []).append(s)
        if len(groups) > 3:  # many slices: a summary; the report's snapshot table lists each one
            ordered = sorted(snaps, key=lambda s: s.observed_at)
            sources = ", ".join(dict.fromkeys(s.source for s in ordered))
            scopes = ", ".join(f"{n} {k}" for k, n in sorted(
                {k: sum(1 for s in ordered if scope_of(s) == k) for k in {scope_of(s) for s in ordered}}.items()))
            return (f"{len(snaps)} snapshots ({sources}; {scopes}, {len(groups)} different slices, the latest "
                    f"{describe_scope(ordered[-1])}; {self.date(ordered[0])} → {self.date(ordered[-1])}; each is "
                    "listed under Snapshots used)")
        parts = []
        for (source, scope), ss in groups.items():
            ids = [str(s.id) for s in ss]
            shown = ", ".join(ids) if len(ids) <= 6 else f"{', '.join(ids[:3])} … {', '.join(ids[-2:])}"
            dates = self.date(ss[0]) if len(ss) == 1 else f"{self.date(ss[0])} → {self.date(ss[-1])}"
            word = "snapshot" if len(ss) == 1 else f"{len(ss)} snapshots"
            parts.append(f"{word} {shown} ({source}, {scope}; {dates})")
        return "; ".join(parts)

    def source_line(self, snaps: list[Snapshot], res: Any = None) -> str:
        """The line under a chart: snapshots, sources, dates, population and coverage."""
        text = f"Source: {self.describe_snapshots(snaps)} · population {self.population}"
        for k, v in self.filters.items():
            text += f" · {k.replace('_', '-')} {', '.join(map(str, v)) if isinstance(v, list | tuple) else v}"
        cov = res.coverage_line() if res is not None and hasattr(res, "coverage_line") else ""
        if cov:
            text += f" · {cov}"
        else:
            text += f" · {fmt_int(sum(s.row_count for s in snaps))} model rows"
        if any(s.synthetic for s in snaps):
            text += " · SYNTHETIC DATA"
        return text + "."

    def chart(self, chart: ChartData, snaps: list[Snapshot], res: Any = None, method: str = "") -> ChartData:
        """Attach the source line, the method note and the synthetic mark to a chart."""
        chart.source = self.source_line(snaps, res)
        chart.method = method or chart.method
        chart.synthetic = any(s.synthetic for s in snaps)
        return chart

    def model_condition(self, alias: str) -> str:
        """SQL keeping the population's models and the --pipeline-tag / --library filters (as the metrics do)."""
        from modelcensus.metrics.population import population_sql
        from modelcensus.store.sql import sql_literal

        cond = population_sql(self.population, alias)
        for key, col in (("pipeline_tags", "pipeline_tag"), ("libraries", "library_name")):
            vals = self.filters.get(key)
            if vals:
                vals = [vals] if isinstance(vals, str) else list(vals)
                cond += f" AND {alias}.{col} IN ({', '.join(sql_literal(str(v)) for v in vals)})"
        return cond

    def point_sql(self, which: str) -> str:
        """A SELECT of the models rows of the latest or base point (a census keeps each row's own snapshot)."""
        kw = self.points.latest_kw if which == "latest" else self.points.base_kw
        assert kw is not None
        if "snapshot" in kw:
            return f"SELECT * FROM models WHERE snapshot_id = {int(kw['snapshot'])}"
        from modelcensus.metrics.census import census_models_sql

        return census_models_sql(self.store, self.points.censuses[which], f"mc_report_{which}")

    # -- chart shapes ------------------------------------------------------------------------------
    def stacked(self, key: str, title: str, res: Any, col: str, label: Any, weight: str, x_title: str,
                y_title: str) -> ChartData:
        """Stacked monthly shares from a metric with (month, group, weight, share) rows.

        The largest groups over the whole period are drawn; the rest is summed into 'other' and the
        NULL group is 'unknown'. One month is drawn as bars of that month; no month gives an empty chart
        that the section turns into a notice.
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
        if len(months) == 1:
            bars = [Series(months[0], [s.name for s in series], [s.y[0] for s in series])]
            return ChartData(key, f"{title}, {months[0]} only", "bars", group_title(col), y_title, bars,
                             percent=True)
        return ChartData(key, title, "area", x_title, y_title, series, percent=True)

    def bars(self, key: str, title: str, res: Any, col: str, label: Any) -> ChartData:
        """One snapshot's shares as bars: the top groups, 'other' and 'unknown'."""
        x, y = share_bar_values(res.rows, col, label, TOP_GROUPS)
        return ChartData(key, title, "bars", group_title(col), f"share of {FIELD}",
                         [Series(self.point_name(), x, y)], percent=True)

    def point_name(self) -> str:
        """Short name of the latest point for a legend: 'snapshot 22 (2025-04-26)' or 'census as of 2025-04-26'."""
        kw = self.points.latest_kw
        if "as_of" in kw:
            return f"census as of {kw['as_of']:%Y-%m-%d}"
        return f"snapshot {self.last.id} ({self.date(self.last)})"

    @staticmethod
    def share_of(res: Any, col: str, group: Any) -> float:
        for r in res.rows:
            if r.get(col) == group:
                return float(r.get("share") or 0.0)
        return 0.0

    # -- provenance --------------------------------------------------------------------------------
    def grades(self) -> list[dict[str, Any]]:
        """Weighted model counts and download shares per evidence grade (latest snapshot)."""
        cond = self.model_condition("m")
        rows = grade_shares(self.store, self.last.id, f"SELECT m.id, m.downloads_30d FROM models m "
                                                      f"WHERE m.snapshot_id = {int(self.last.id)} AND {cond}")
        tot_m = sum(float(r["models"]) for r in rows) or 0.0
        tot_d = sum(float(r["downloads"] or 0) for r in rows) or 0.0
        order = {g: i for i, g in enumerate(GRADES)}
        out = [{"grade": r["grade"], "models": float(r["models"]),
                "model_share": float(r["models"]) / tot_m if tot_m else None,
                "download_share": float(r["downloads"] or 0) / tot_d if tot_d else None} for r in rows]
        return sorted(out, key=lambda g: order.get(g["grade"], len(order)))

    def warnings(self) -> list[str]:
        """What a reader must know before citing anything: partial inputs, no trend, low coverage."""
        out: list[str] = []
        partial = [s for s in self.snaps if scope_of(s) != "full"]
        if partial:
            backbone = any(scope_of(s) == "full" for s in self.snaps)
            slices = list(dict.fromkeys(describe_scope(s) for s in reversed(partial)))
            what = (self.describe_snapshots(partial) if len(slices) <= 3 else
                    f"{len(slices)} different slices, latest first: {'; '.join(slices[:3])}; …")
            out.append(
                f"{len(partial)} of {len(self.snaps)} snapshots used are partial ({what}): their "
                "figures describe those slices of the Hub, not the whole Hub"
                + ("." if backbone else ", and no full census backs them."))
        if self.trend.reason:
            prefix = "Charts over time (by snapshot): " if "as_of" in self.points.latest_kw else ""
            reason = prefix + self.trend.reason
            out.append(reason[0].upper() + reason[1:] + ".")
        if self.points.reason:
            out.append(self.points.reason[0].upper() + self.points.reason[1:] + ".")
        elif len(self.snaps) == 1:
            out.append("One snapshot: the figures are levels at that date; no trend is drawn.")
        known = self.metrics.get("downloads_by_root_country_latest", {}).get("rows", [])
        total = sum(float(r.get("share") or 0) for r in known)
        attributed = sum(float(r.get("share") or 0) for r in known if r.get("root_country") is not None)
        if total and attributed / total < LOW_KNOWN_SHARE:
            out.append(f"Only {attributed / total * 100:.1f} % of the 30-day downloads in {self.points.latest_label} "
                       "could be attributed to a root country; country shares rest on a minority of the downloads.")
        out += self.notes_as_warnings()
        return list(dict.fromkeys(out))

    def notes_as_warnings(self) -> list[str]:
        """The metrics' own warnings, one per kind; those the report already states in its own words are left out."""
        partial = any(scope_of(s) != "full" for s in self.snaps)
        out = []
        for code, msg in self.metric_warnings.items():
            if code == "no_trend" or code == "no_full_backbone" and partial:  # said above, for the whole report
                continue
            msg = msg[0].upper() + msg[1:]
            out.append(msg if msg.endswith(".") else msg + ".")
        return out


def group_title(col: str) -> str:
    return {"root_country": "root country", "publisher_country": "publisher country", "family": "root family",
            "org": "organisation"}.get(col, col.replace("_", " "))
