"""The history report of a ``--snapshots DIR`` folder: built only from the folder metrics, no store.

A folder of hub-stats ``YYYY-MM-DD.parquet`` files (docs/engines.md) is a series of full censuses of the Hub.
This module asks :class:`modelcensus.metrics.snapshot_folder.FolderCensus` (what ``metrics NAME --snapshots DIR``
runs, on DuckDB or Spark) for every table, one census for the whole report so the folder's rows are read once,
and lays them out with the store report's own pieces: :class:`~modelcensus.outputs.builder.ReportBuilder`'s
chart shapes, source lines (each carrying the metric's coverage line) and warnings, the report model and its
templates (:mod:`modelcensus.outputs.render`). Sections: downloads by publisher country and by publishing
organisation (latest date, and monthly over the series), the same by root country and root organisation when
the folder's lineage is built and current (a stated notice naming the command when not), with it the new
derivatives by root country and family, RAM by size class (the store report's section, over every file) and
concentration over time. What needs a store (evidence grades, model movers) is said, not drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics.snapshot_folder import FolderCensus
from modelcensus.outputs.builder import FIELD, ReportBuilder, group_title
from modelcensus.outputs.charts import ChartData, Series
from modelcensus.outputs.formatting import pct, public_snapshot, public_text
from modelcensus.outputs.model import Column, Report, Section, Table
from modelcensus.outputs.render import REPORT_FORMATS, write_report
from modelcensus.outputs.sections_lineage import ram_section
from modelcensus.outputs.selection import trend_series
from modelcensus.store.engine import Engine

TITLE = "modelcensus: the Hub's history from hub-stats snapshots"
LATEST_ROWS = 10  # groups listed in a latest-date table (the JSON keeps every row)
NO_GRADES = ("not computed on the --snapshots path (the folder metrics give no grade table); import a file into "
             "a store and run `modelcensus report` for them")
STORE_ONLY = ("Not in this report: evidence grades and top movers read tables only a store holds; "
              "`modelcensus import` the files and run `modelcensus report` for them. Licences, licence drift, "
              "sizes, cadence, intermediaries and region shift of the latest file are `modelcensus metrics NAME "
              "--snapshots DIR`.")


@dataclass
class HistoryReport(Report):
    """The report model with what a folder report adds: the engine, the folder and its lineage state."""

    engine: str = "duckdb"
    folder: str = ""
    lineage: dict[str, Any] = field(default_factory=dict)  # {"current": bool, "note": str | None}

    def to_json(self) -> dict[str, Any]:
        doc = super().to_json()
        doc.update(report="modelcensus history report", engine=self.engine, folder=self.folder,
                   lineage=self.lineage, grades=[], grades_note=NO_GRADES)
        return doc


class FolderReportBuilder(ReportBuilder):
    """The store report's builder over a folder: every table comes from :meth:`FolderCensus.metric`."""

    def __init__(self, census: FolderCensus, registry: Any) -> None:
        # no store: the store-reading helpers (grades, point_sql, model_condition) are never called here
        super().__init__(None, registry, census.snaps, trend_series(census.snaps), "all")  # type: ignore[arg-type]
        self.census = census
        self.results: dict[str, Any] = {}  # key -> the MetricResult (self.metrics holds its JSON)

    def metric(self, key: str, name: str, **kw: Any) -> Any:
        res = self.census.metric(name, **kw)
        self.metrics[key], self.results[key] = res.to_json(), res
        for w in res.warnings or []:
            code, msg = w.get("code", ""), w.get("message", "")
            if msg and code not in self.metric_warnings:
                self.metric_warnings[code or msg] = msg
        return res


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _comparable(res: Any) -> bool:
    """A series the metric itself calls comparable (a folder of full dumps is; the check keeps it honest)."""
    return not res.trend or bool(res.trend.get("comparable"))


def _label(b: ReportBuilder, col: str) -> Callable[[Any], str]:
    if col in ("publisher_country", "root_country"):
        return b.countries.label
    return lambda g: "unknown" if g is None else str(g)


def _latest_table(b: ReportBuilder, key: str, title: str, res: Any, col: str) -> Table:
    """The largest groups at the latest date with downloads, models and share; its caption is the source line."""
    cols = [Column(col, group_title(col)), Column("downloads", "30-day downloads", True, "round"),
            Column("models", "models", True, "int"), Column("share", "share", True, "pct")]
    lab = _label(b, col)
    rows = [{**r, col: lab(r.get(col))} for r in res.rows[:LATEST_ROWS]]
    return Table(key, title, cols, rows, b.source_line([b.last], res), empty="No downloads in the latest file.")


def month_days(first: date, last: date, month: str) -> tuple[int, int]:
    """(days of ``month`` inside the series [first, last), days of the month): the flows' own split
    (metrics.series.month_fractions), so a month the files cover only in part is marked as such."""
    y, m = int(month[:4]), int(month[5:7])
    start, end = date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)
    return max(0, (min(end, last) - max(start, first)).days), (end - start).days


def _monthly_table(b: ReportBuilder, key: str, title: str, res: Any, col: str) -> Table:
    """Per month: all downloads, the days of it the files cover, the largest group and its share (the chart
    above shows the shares of all). A month covered in part is marked: its total is not a month's downloads."""
    first, last = b.trend.series[0].observed_at.date(), b.trend.series[-1].observed_at.date()
    months: dict[str, dict[str, Any]] = {}
    for r in res.rows:
        if r["month"] not in months:
            inside, days = month_days(first, last, r["month"])
            covered = f"all {days} days" if inside == days else f"{inside} of {days} days (partial month)"
            months[r["month"]] = {"month": r["month"], "covered": covered, "downloads": 0.0, "largest": None,
                                  "share": None}
        m = months[r["month"]]
        m["downloads"] += float(r.get("downloads") or 0)
        if r.get(col) is not None and (m["share"] is None or float(r.get("share") or 0) > m["share"]):
            m["largest"], m["share"] = _label(b, col)(r[col]), float(r.get("share") or 0)
    cols = [Column("month", "month"), Column("covered", "covered by the files"),
            Column("downloads", "downloads (all groups)", True, "round"),
            Column("largest", f"largest {group_title(col)}"), Column("share", "its share of the month", True, "pct")]
    partial = any("partial" in m["covered"] for m in months.values())
    caption = ("A partial month holds only the flows of the days the files cover: compare its shares, not its "
               "total, with full months. " if partial else "") + b.source_line(b.trend.series, res)
    return Table(key, title, cols, [months[m] for m in sorted(months)], caption, empty="No monthly flows.")


def downloads_section(b: ReportBuilder, key: str, title: str, intro: str, by: str,
                      opts: dict[str, Any]) -> Section:
    """Downloads by one key: the latest date's shares (bars, table) and monthly flows over the series."""
    latest = b.metric(f"downloads_by_{key}_latest", "downloads", by=by, field=FIELD, **opts)
    col = latest.columns[0]
    sec = Section(key, title, intro, sources=[f"downloads_by_{key}_latest"])
    sec.add_chart(b.chart(b.bars(f"{key}-latest", f"30-day downloads by {group_title(col)} (share), "
                                                  f"{b.date(b.last)}", latest, col, _label(b, col)),
                          [b.last], latest, "shares-30d"))
    sec.tables.append(_latest_table(b, f"{key}-latest", f"Largest at {b.date(b.last)} (30-day downloads)",
                                    latest, col))
    notes = list(latest.notes)
    if b.series:
        monthly = b.metric(f"monthly_downloads_by_{key}", "downloads_monthly", by=by, **opts)
        sec.sources.append(f"monthly_downloads_by_{key}")
        notes += monthly.notes
        if _comparable(monthly):
            sec.add_chart(b.chart(b.stacked(f"{key}-monthly", f"Monthly downloads by {group_title(col)} (share)",
                                            monthly, col, _label(b, col), "downloads", "month",
                                            "share of the month's downloads"), b.trend.series, monthly, "flows"))
            if sec.charts and sec.charts[-1].key == f"{key}-monthly":
                sec.charts[-1].caption = (
                    "A month's downloads are the growth of all-time download counts between consecutive files, "
                    "spread over the calendar months each interval covers; the first file is a level, not a flow. "
                    "Stacked shares add up to 100 %; 'other' sums the smaller groups, 'unknown' the unattributed "
                    "models. The first and last month may be covered only in part (see the table).")
            sec.tables.append(_monthly_table(b, f"{key}-monthly", "Monthly downloads", monthly, col))
        else:
            sec.notices.append(f"No monthly series is drawn: {monthly.trend.get('reason')}.")
    else:
        sec.notices.append("One file: the figures are levels at its date; monthly flows need two or more files.")
    sec.notes = _dedupe(notes)
    return sec


def _lead_headline(b: FolderReportBuilder, key: str, unit: str, what: str) -> None:
    """The largest known group at the latest date (the unknown group is never a lead)."""
    res = b.results[f"downloads_by_{unit}_latest"]
    rows = [r for r in res.rows if r.get(res.columns[0]) is not None and r.get("share") is not None]
    if rows:
        col = res.columns[0]
        g, share = rows[0][col], float(rows[0]["share"])
        b.headline_item(key, f"On {b.date(b.last)}, {pct(share)} of 30-day downloads go to {what} "
                             f"{_label(b, col)(g)}.", {col: g, "share_latest": share}, [b.last])


def roots_section(b: FolderReportBuilder, folder_cmd: str) -> tuple[Section, str | None]:
    """Downloads by root country and root organisation; when the folder's lineage is missing or stale, the
    section states it with the command to run (the metric's own message), and nothing is guessed."""
    title = "Whose base models: downloads by root country and root organisation"
    intro = ("Downloads credited through each model's lineage to its root (the base model it derives from): the "
             "country and organisation of the root, not of the publisher.")
    try:
        b.census.load_roots(every=b.series)  # the monthly series reads every file's roots: name all stale ones
        country = downloads_section(b, "root_country", "By root country", intro, "root_country", {})
    except InputError as exc:
        if "lineage build" not in str(exc):
            raise
        note = (f"Root figures are not shown: {exc}. Then run this report again (`modelcensus report --snapshots "
                f"{folder_cmd}`).")
        return Section("roots", title, intro, notices=[note]), note
    org = downloads_section(b, "root_org", "By root organisation", "", "org", {})
    sec = Section("roots", title, intro, charts=country.charts + org.charts, tables=country.tables + org.tables,
                  notices=_dedupe(country.notices + org.notices), notes=_dedupe(country.notes + org.notes),
                  sources=country.sources + org.sources)
    return sec, None


def derivatives_section(b: FolderReportBuilder) -> Section:
    """New derivative repos per creation month, credited to their lineage root's country and family, as the
    latest file lists them (its lineage's edges say which models derive): the base models new work builds on."""
    ctry = b.metric("derivatives_by_root_country", "derivatives", by="root_country")
    fam = b.metric("derivatives_by_family", "derivatives", by="family")
    sec = Section("derivatives", "Derivatives: which base models new models build on",
                  "Share of the derivative repos (fine-tunes, adapters, quantizations, merges) created each month, "
                  "credited to the country and the family of their lineage root, as listed in the latest file.",
                  sources=["derivatives_by_root_country", "derivatives_by_family"])
    y = "share of new derivatives"
    sec.add_chart(b.chart(b.stacked("derivatives-country", "New derivatives by root country (share)", ctry,
                                    "root_country", b.countries.label, "derivatives", "month created", y),
                          [b.last], ctry, "derivatives"))
    sec.add_chart(b.chart(b.stacked("derivatives-family", "New derivatives by root family (share)", fam, "family",
                                    b.family_label, "derivatives", "month created", y), [b.last], fam, "derivatives"))
    months = sorted({r["month"] for r in ctry.rows if r.get("month")})
    if sec.charts and months:
        partial = "; that month is partial" if months[-1] == f"{b.last.observed_at:%Y-%m}" else ""
        sec.charts[0].caption = (f"Month = the derivative's creation month, {months[0]} to {months[-1]}, as listed "
                                 f"on {b.date(b.last)}{partial}.")
    if not months:
        sec.notices.append(f"No derivative repo with a creation date is listed on {b.date(b.last)}: nothing to draw.")
    elif len(months) < 2:
        sec.notices.append("Fewer than two months of new derivatives: no trend to draw.")
    sec.notes = _dedupe(ctry.notes + fam.notes)
    return sec


Unit = tuple[str, str, dict[str, Any], str]  # (metric key, --by, options, title)
UNITS_PUBLISHER: tuple[Unit, ...] = (
    ("publisher_org", "org", {"attribution": "publisher"}, "publishing organisations"),
    ("publisher_country", "publisher_country", {}, "publisher countries"))
UNITS_ROOT: tuple[Unit, ...] = (("root_org", "org", {}, "root organisations"),
                                ("root_country", "root_country", {}, "root countries"))


def concentration_section(b: ReportBuilder, roots: bool) -> Section:
    """HHI and top-k shares over time, over publishers and (with lineage) roots, as the concentration metric gives."""
    units = UNITS_PUBLISHER + (UNITS_ROOT if roots else ())
    res = {u: b.metric(f"concentration_by_{u}", "concentration", by=by, field=FIELD, series=True, k="1,5,10", **o)
           for u, by, o, _t in units}
    sec = Section("concentration", "Concentration of downloads over time",
                  "How concentrated 30-day downloads are at each date: HHI is the sum of squared shares (1 = one "
                  "group takes everything), top-k share the share of the k largest groups.",
                  sources=[f"concentration_by_{u}" for u, *_ in units])
    if not roots:
        sec.notices.append("Concentration over root organisations and countries needs the folder's lineage; see "
                           "\"Whose base models\" above.")
    if b.series and all(_comparable(r) for r in res.values()):
        for col, name in (("hhi", "HHI"), ("cr5", "Top-5 share")):
            series = [Series(t, [str(r["observed_at"])[:10] for r in res[u].rows], [_f(r.get(col))
                                                                                   for r in res[u].rows])
                      for u, _b, _o, t in units]
            sec.add_chart(b.chart(ChartData(f"concentration-{col}", f"{name} over time", "lines", "file date", name,
                                            series, percent=col == "cr5",
                                            y_range=None if col == "cr5" else (0.0, 1.02)),
                                  b.trend.series, res["publisher_org"], "concentration"))
    else:
        series = [Series(t, ["HHI", "Top-5 share"], [_f((res[u].rows or [{}])[-1].get(c)) for c in ("hhi", "cr5")])
                  for u, _b, _o, t in units]
        sec.add_chart(b.chart(ChartData("concentration-bars", f"Concentration at {b.date(b.last)}", "bars",
                                        "measure", "value (0-1)", series, y_range=(0.0, 1.02)), [b.last],
                              res["publisher_org"], "concentration"))
        sec.notices.append("Concentration is shown for the latest file only: "
                           + ("one file, no series." if not b.series else "the series is not comparable."))
    cols = [Column("unit", "over"), Column("observed_at", "date"), Column("groups", "groups", True, "int"),
            Column("hhi", "HHI", True, "float"), Column("cr1", "top-1", True, "pct"),
            Column("cr5", "top-5", True, "pct"), Column("cr10", "top-10", True, "pct"),
            Column("unknown_share", "unknown", True, "pct")]
    for u, _b, _o, t in units:
        sec.tables.append(Table(f"concentration-{u}", f"Over {t}", cols,
                                [{**r, "unit": t, "observed_at": str(r["observed_at"])[:10]} for r in res[u].rows],
                                b.source_line(b.trend.series, res[u])))
    sec.notes = _dedupe([n for r in res.values() for n in r.notes])
    _concentration_headline(b, res["publisher_org"].rows)
    return sec


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def _concentration_headline(b: ReportBuilder, rows: list[dict[str, Any]]) -> None:
    if not rows or rows[-1].get("cr5") is None:
        return
    last, first = rows[-1], rows[0]
    text = (f"On {b.date(b.last)}, the five largest publishing organisations take {pct(_f(last['cr5']))} of 30-day "
            f"downloads; HHI over them is {_f(last['hhi']):.3f}")
    compared = b.series and len(rows) > 1 and first.get("cr5") is not None
    if compared:
        text += f"; on {str(first['observed_at'])[:10]}: {pct(_f(first['cr5']))} and {_f(first['hhi']):.3f}"
    b.headline_item("concentration", text + ".", {"cr5_latest": last["cr5"], "hhi_latest": last["hhi"],
                                                  "cr5_first": first["cr5"] if compared else None,
                                                  "hhi_first": first["hhi"] if compared else None},
                    [b.trend.series[0], b.last] if compared else [b.last])


def _file_warnings(b: ReportBuilder) -> list[str]:
    """Files whose rows were partly skipped, or hold none: their figures cover less than the whole dump."""
    out = []
    for s in b.snaps:
        if s.skipped_count:
            out.append(f"{s.skipped_count:,} row(s) of the file of {b.date(s)} failed the staging checks and are "
                       "not counted: that date covers less than the whole dump.")
        if not s.row_count:
            out.append(f"The file of {b.date(s)} holds no model: every figure of that date is empty.")
    return out


def build_history_report_model(folder: str | Path, *, engine: Engine, row_select: Callable[[Path], str],
                               registry: Any, check_note: Callable[[Path], str | None] | None = None
                               ) -> HistoryReport:
    """Compute everything the history report shows over ``folder`` on ``engine`` (no rendering)."""
    folder = Path(folder)
    with FolderCensus(folder, engine=engine, row_select=row_select, registry=registry,
                      check_note=check_note) as census:
        b = FolderReportBuilder(census, registry)
        pub = downloads_section(b, "publisher_country", "Downloads by publisher country",
                                "Share of downloads by the country of the namespace that publishes the model.",
                                "publisher_country", {})
        org = downloads_section(b, "publisher_org", "Downloads by publishing organisation",
                                "Share of downloads by the organisation that owns the publishing namespace.", "org",
                                {"attribution": "publisher"})
        _lead_headline(b, "publisher-country", "publisher_country", "models published from")
        _lead_headline(b, "publisher-org", "publisher_org", "models published by")
        roots, lineage_note = roots_section(b, folder.name)
        if lineage_note is None:
            _lead_headline(b, "root-country", "root_country", "models whose lineage root is in")
            _lead_headline(b, "root-org", "root_org", "models whose lineage root belongs to")
        conc = concentration_section(b, roots=lineage_note is None)
        # derivatives need the lineage too; without it the roots section already says what to run
        ram = ram_section(b, {})  # every file: RAM needs no lineage
        sections = [pub, org, roots, *([derivatives_section(b)] if lineage_note is None else []), ram, conc]
        warnings = [*([lineage_note] if lineage_note else []), *_file_warnings(b), *b.warnings()]
    for s in sections:
        s.notes, s.notices = public_text(s.notes), public_text(s.notices)
    metrics = {k: {f: (v if f == "rows" else public_text(v)) for f, v in m.items()} for k, m in b.metrics.items()}
    return HistoryReport(
        title=TITLE, synthetic=any(s.synthetic for s in b.snaps),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), population="all", field=FIELD,
        registry_version=str(getattr(registry, "version", "unknown")),
        snapshots=[public_snapshot(s) for s in b.snaps], excluded_snapshots=[], headline=b.headline,
        sections=sections, grades=[{"grade": NO_GRADES, "models": None, "model_share": None, "download_share": None}],
        metrics=metrics, warnings=public_text(_dedupe(warnings)),
        notes=public_text([f"Computed on {engine.name} from {len(b.snaps)} file(s) of the folder {folder.name} "
                       "(--snapshots; no store read or written), by the same folder metrics as `modelcensus "
                       "metrics NAME --snapshots DIR`.", *census.check_notes, STORE_ONLY]),
        filters={"engine": engine.name, "snapshots": folder.name}, engine=engine.name, folder=folder.name,
        lineage={"current": lineage_note is None, "note": public_text(lineage_note)})


def build_history_report(folder: str | Path, *, engine: Engine, row_select: Callable[[Path], str], registry: Any,
                         out: str | Path | None = None, fmt: str = "html",
                         check_note: Callable[[Path], str | None] | None = None) -> Path | dict[str, Any]:
    """The history report of ``folder``: the written path, or the JSON document when ``fmt='json'`` and no ``out``."""
    fmt = (fmt or "html").lower()
    if fmt not in REPORT_FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(REPORT_FORMATS)}")
    report = build_history_report_model(folder, engine=engine, row_select=row_select, registry=registry,
                                        check_note=check_note)
    if fmt == "json" and out is None:
        return report.to_json()
    return write_report(report, Path(out) if out is not None else Path(f"modelcensus-history.{fmt}"), fmt)


__all__ = ["HistoryReport", "build_history_report", "build_history_report_model"]
