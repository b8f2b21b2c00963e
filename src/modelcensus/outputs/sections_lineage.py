"""Report sections read along lineage: new derivatives by root, relative adoption (RAM), licence drift."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from modelcensus.outputs.builder import FIELD, RAM_POINTS_PER_CLASS, TOP_MOVERS, ReportBuilder
from modelcensus.outputs.charts import ChartData, Series
from modelcensus.outputs.formatting import fmt_int, fmt_num, pct
from modelcensus.outputs.model import Column, Section, Table

SIZE_ORDER = ("<1B", "1-5B", "7-9B", "10-50B", "50-100B", "100-250B", "250B+")


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def derivatives_section(b: ReportBuilder) -> Section:
    # months of creation as listed in the latest snapshot: at least the last two years, or the whole series
    since = min(b.first.observed_at, b.last.observed_at - timedelta(days=730))
    fam = b.metric("derivative_share_by_family", "derivative_share", by="family", since=since, **b.points.latest_kw)
    ctry = b.metric("derivative_share_by_root_country", "derivative_share", by="root_country", since=since,
                    **b.points.latest_kw)
    sec = Section("derivatives", "Derivatives: which families new models build on",
                  "Share of the new derivative repos (fine-tunes, adapters, quantizations, merges) created each month, "
                  "credited to the family and to the country of their lineage root, as listed in the latest snapshot. "
                  "Derivative share tends to lead downloads.",
                  sources=["derivative_share_by_family", "derivative_share_by_root_country"])
    y = "share of new derivatives"
    sec.add_chart(b.chart(b.stacked("derivatives-family", "New derivatives by root family (share)", fam, "family",
                                    b.family_label, "derivatives", "month created", y), b.points.latest, fam,
                          "derivatives"))
    sec.add_chart(b.chart(b.stacked("derivatives-country", "New derivatives by root country (share)", ctry,
                                    "root_country", b.countries.label, "derivatives", "month created", y),
                          b.points.latest, ctry, "derivatives"))
    if sec.charts:
        sec.charts[0].caption = (f"Month = the derivative's creation month, from {since:%Y-%m} to the latest snapshot "
                                 f"({b.date(b.last)}); the last month is partial.")
    months = sorted({r["month"] for r in fam.rows if r.get("month")})
    if not months:
        sec.notices = [f"No new derivative repo created from {since:%Y-%m} on is listed in {b.points.latest_label}: "
                       "nothing to draw."]
    elif len(months) < 2:
        sec.notices.append("Fewer than two months of new derivatives in range: no trend to draw.")
    sec.notes = _dedupe(fam.notes)
    rows = [r for r in fam.rows if r.get("month") and r.get("family") is not None]
    full = [m for m in months if m < f"{b.last.observed_at:%Y-%m}"] or months
    if full and rows:
        m = full[-1]
        top = max((r for r in rows if r["month"] == m), key=lambda r: r["share"], default=None)
        if top is not None:
            b.headline_item("derivatives-family",
                            f"Of the new derivative repos created in {m}, {pct(float(top['share']))} build on the "
                            f"{b.family_label(top['family'])} family, the largest share.",
                            {"month": m, "family": top["family"], "share": float(top["share"])}, b.points.latest)
    return sec


def _ram(v: float) -> str:
    return f"{v:.2f}" if v < 100 else f"{v:,.0f}"


def ram_section(b: ReportBuilder, scope: dict[str, Any] | None = None) -> Section:
    """RAM at each model's oldest checkpoint over the series: ``scope`` selects the snapshots (a store report
    passes its ids; a folder report reads every file)."""
    res = b.metric("ram", "ram", latest=True, **({"snapshots": b.ids} if scope is None else scope))
    sec = Section("ram", "Relative adoption (RAM) by size class",
                  "ATOM's Relative Adoption Metric: a model's cumulative downloads at a given age divided by those of "
                  "the 10th most-downloaded model of its size class at the same age. RAM above 1 means on pace for "
                  "the all-time top 10 of its class. Each point is a model at the oldest age checkpoint it has "
                  "reached.", sources=["ram"])
    rows = [r for r in res.rows if r.get("ram") is not None and r["ram"] > 0 and r.get("size_class")]
    by_class: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_class.setdefault(r["size_class"], []).append(r)
    series = []
    capped = False
    for sc in sorted(by_class, key=lambda c: SIZE_ORDER.index(c) if c in SIZE_ORDER else len(SIZE_ORDER)):
        pts = sorted(by_class[sc], key=lambda r: (-(r.get("downloads") or 0), str(r["model"])))
        capped |= len(pts) > RAM_POINTS_PER_CLASS
        pts = pts[:RAM_POINTS_PER_CLASS]
        series.append(Series(sc, [r["age_days"] for r in pts], [float(r["ram"]) for r in pts],
                             hover=[f"{r['model']} — {fmt_int(r.get('downloads'))} downloads" for r in pts]))
    chart = ChartData("ram-scatter", "RAM vs age, by size class", "scatter", "age checkpoint (days since release)",
                      "RAM (log scale; 1 = 10th-ranked model of the class)", series, log_x=True, log_y=True,
                      x_ticks=sorted({r["age_days"] for r in rows}))
    chart.caption = (f"{len(rows):,} models with a defined RAM"
                     + (f"; the chart shows the {RAM_POINTS_PER_CLASS} most-downloaded per size class, the JSON form "
                        "holds all" if capped else "") + ".")
    if rows:
        sec.add_chart(b.chart(chart, b.trend.series, res, "ram"))
    else:
        sec.notices.append("No model has a defined RAM: every size class needs at least 10 models old enough for "
                           "each age checkpoint, and all-time download counts.")
    sec.notes = _dedupe(res.notes)
    above = [r for r in rows if r["ram"] > 1]
    if rows:
        topr = max(rows, key=lambda r: (r["ram"], str(r["model"])))
        b.headline_item(
            "ram",
            f"{len(above):,} of {len(rows):,} models with a defined RAM are above 1 (on pace for the all-time top 10 "
            f"of their size class); the highest is {topr['model']} ({topr['size_class']}, RAM {_ram(topr['ram'])} at "
            f"{topr['age_days']} days).",
            {"above_one": len(above), "defined": len(rows), "top_model": topr["model"], "top_ram": topr["ram"]},
            b.trend.series)
    return sec


def licences_section(b: ReportBuilder) -> Section:
    fam = b.metric("licence_drift_by_family", "licence_drift", by="family", field=FIELD, snapshot=b.last.id,
                   examples=3)
    pairs = b.metric("licence_drift_pairs", "licence_drift", by="family", field=FIELD, snapshot=b.last.id,
                     pairs=True, examples=3)
    sec = Section("licences", "Licence drift along lineage",
                  "Derivatives labelled more permissively than their lineage root (for example a Llama-licensed root "
                  "under a derivative marked MIT), in the latest snapshot. Licence classes and their order come from "
                  "the registry; unknown or custom licences never count as drift.",
                  sources=["licence_drift_by_family", "licence_drift_pairs"])
    drifted = [r for r in fam.rows if (r.get("drifted") or 0) > 0]
    drifted.sort(key=lambda r: (-float(r["drifted"]), str(r.get("family"))))
    if drifted:
        shown = drifted[:12]
        sec.add_chart(b.chart(ChartData(
            "licence-drift", "Derivatives more permissive than their root, by root family", "bars", "root family",
            "derivatives", [Series("drifted derivatives", [b.family_label(r.get("family")) for r in shown],
                                   [float(r["drifted"]) for r in shown])]), [b.last], fam, "licence-drift"))
    else:
        sec.notices.append("No derivative in the latest snapshot is labelled more permissively than its root.")
    sec.tables.append(Table(
        "licence-drift-pairs", "Most common drifts (root licence → derivative licence)",
        [Column("root_license", "root licence", code=True), Column("child_license", "derivative licence", code=True),
         Column("derivatives", "derivatives", True, "int"), Column("downloads", "30-day downloads", True, "round"),
         Column("examples", "most-downloaded examples", fmt="list", code=True)],
        pairs.rows[:TOP_MOVERS], f"Source: {b.describe_snapshots([b.last])}.", empty="No licence drift found."))
    sec.notes = _dedupe(fam.notes)
    total_d = sum(float(r.get("drifted") or 0) for r in fam.rows)
    comparable = sum(float(r.get("comparable") or 0) for r in fam.rows)
    weighted = "credit-weighted, a merge counts 1/k per root; " if abs(total_d - round(total_d)) > 1e-9 else ""
    text = (f"{fmt_num(total_d)} derivatives ({weighted}{pct(total_d / comparable) if comparable else 'n/a'} of those "
            "whose licence and root licence are comparable) are labelled more permissively than their root")
    if pairs.rows:
        p = pairs.rows[0]
        text += f"; the most common drift is {p['root_license']} → {p['child_license']}"
    b.headline_item("licence-drift", text + ".", {"drifted": total_d, "comparable": comparable}, [b.last])
    return sec
