"""Report sections about where downloads go: shares by country, concentration, top movers.

Every change these sections state ("up from", "gained most", a line over time) is between the latest
snapshot and the earlier ones comparable with it (``b.trend``); otherwise they show levels and say why.
"""

from __future__ import annotations

from typing import Any

from modelcensus.metrics.report_figures import model_share_changes
from modelcensus.outputs.builder import FIELD, MIN_MOVE, TOP_MOVERS, ReportBuilder
from modelcensus.outputs.charts import ChartData, Series
from modelcensus.outputs.formatting import pct, pp, public_snapshot
from modelcensus.outputs.model import Column, Section, Table, jsonable


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _no_trend(b: ReportBuilder, what: str) -> str:
    why = b.trend.reason or "the store holds one snapshot for this series"
    return f"{what} {why}."


def countries_section(b: ReportBuilder) -> Section:
    lab = b.countries.label
    pts = b.points
    root = [b.metric("downloads_by_root_country_latest", "downloads", by="root_country", field=FIELD,
                     **pts.latest_kw)]
    pub = [b.metric("downloads_by_publisher_country_latest", "downloads", by="publisher_country", field=FIELD,
                    **pts.latest_kw)]
    sources = ["downloads_by_root_country_latest", "downloads_by_publisher_country_latest"]
    if pts.base_kw is not None:
        root.insert(0, b.metric("downloads_by_root_country_first", "downloads", by="root_country", field=FIELD,
                                **pts.base_kw))
        sources.append("downloads_by_root_country_first")
    sec = Section("countries", "Who is downloaded: shares by country over time",
                  "Share of downloads credited to the country of the model's lineage root (top), and for "
                  "contrast to the country of the namespace that publishes it (bottom).", sources=sources)
    if b.series:
        by_root = b.metric("monthly_downloads_by_root_country", "downloads_monthly", by="root_country",
                           snapshots=b.ids)
        by_pub = b.metric("monthly_downloads_by_publisher_country", "downloads_monthly", by="publisher_country",
                          snapshots=b.ids)
        sec.sources += ["monthly_downloads_by_root_country", "monthly_downloads_by_publisher_country"]
        y = "share of the month's downloads"
        sec.add_chart(b.chart(b.stacked("country-root", "Monthly downloads by root country (share)", by_root,
                                        "root_country", lab, "downloads", "month", y), b.trend.series, by_root,
                              "flows"))
        sec.add_chart(b.chart(b.stacked("country-publisher", "Monthly downloads by publisher country (share)", by_pub,
                                        "publisher_country", lab, "downloads", "month", y), b.trend.series, by_pub,
                              "flows"))
        if sec.charts:
            sec.charts[0].caption = (
                "A month's downloads are the growth of all-time download counts between consecutive comparable "
                "snapshots, spread over the calendar months the interval covers; the first snapshot is a level, "
                "not a flow, so the series starts one interval later. Stacked shares add up to 100 %; 'other' sums "
                "the smaller countries, 'unknown' the unattributed models. The headline's 30-day figures read the "
                "Hub's trailing-30-day field instead.")
        if not sec.charts:  # no all-time counts (e.g. tree scrapes): show the levels instead of empty axes
            sec.notices = [f"No monthly flows: they are growths of all-time download counts between comparable "
                           f"snapshots, and {b.describe_snapshots(b.trend.series)} carry none. The bars show the "
                           f"30-day downloads of {b.points.latest_label} instead."]
            _country_bars(b, sec, root[-1], pub[-1])
        sec.notes = _dedupe(by_root.notes + by_pub.notes)
    else:
        _country_bars(b, sec, root[-1], pub[-1])
        sec.notices.append(_no_trend(b, f"The bars show the 30-day downloads of {pts.latest_label}; there is no "
                                        "time series —"))
        sec.notes = _dedupe(root[-1].notes + pub[-1].notes)
    _country_headlines(b, root, pub)
    return sec


def _country_bars(b: ReportBuilder, sec: Section, root: Any, pub: Any) -> None:
    lab = b.countries.label
    sec.add_chart(b.chart(b.bars("country-root", "30-day downloads by root country (share)", root, "root_country",
                                 lab), b.points.latest, root, "shares-30d"))
    sec.add_chart(b.chart(b.bars("country-publisher", "30-day downloads by publisher country (share)", pub,
                                 "publisher_country", lab), b.points.latest, pub, "shares-30d"))


def _country_headlines(b: ReportBuilder, root: list[Any], pub: list[Any]) -> None:
    pts = b.points
    latest = pts.latest
    last = [r for r in root[-1].rows if r.get("root_country") is not None and r.get("share") is not None]
    if not last:
        b.headline_item("root-country", f"No download in {pts.latest_label} could be attributed to a root country.",
                        {}, latest)
        return
    lead = last[0]
    code, share = lead["root_country"], float(lead["share"])
    text = (f"In {pts.latest_label}, {pct(share)} of 30-day downloads go to models whose lineage root is in "
            f"{b.countries.label(code)}")
    text = text[0].upper() + text[1:]
    figures: dict[str, Any] = {"country": code, "share_latest": share, "snapshot_latest": b.last.id}
    snaps = latest
    if pts.base is not None:
        before = b.share_of(root[0], "root_country", code)
        shown, shown_before = round(share * 1000), round(before * 1000)  # as printed: 0.1 % steps
        word = "up" if shown > shown_before else "down" if shown < shown_before else "unchanged"
        since = pts.base_label
        text += f", {word} from {pct(before)} in {since}" if word != "unchanged" else f", unchanged since {since}"
        figures.update(share_first=before, snapshot_first=pts.base[-1].id)
        snaps = [*pts.base, *[s for s in latest if s not in pts.base]]
    b.headline_item("root-country", text + ".", figures, snaps)
    if len(last) > 1:
        second = last[1]
        b.headline_item("root-country-second",
                        f"Next comes {b.countries.label(second['root_country'])} with {pct(float(second['share']))}.",
                        {"country": second["root_country"], "share_latest": float(second["share"])}, latest)
    pub_share = b.share_of(pub[-1], "publisher_country", code)
    b.headline_item(
        "publisher-contrast",
        f"Counted by the publisher's country instead of the root's, {b.countries.name(code)} takes {pct(pub_share)}: "
        f"lineage attribution moves {abs(share - pub_share) * 100:.1f} percentage points of downloads "
        f"{'towards' if share >= pub_share else 'away from'} it.",
        {"country": code, "publisher_share_latest": pub_share, "root_share_latest": share}, latest)
    unknown = b.share_of(root[-1], "root_country", None)
    b.headline_item("unknown-root",
                    f"{pct(unknown)} of 30-day downloads go to models whose root country is unknown (not in the "
                    "registry, or lineage broken by a missing parent).", {"share_latest": unknown}, latest)


def _f(v: Any) -> float | None:
    return None if v is None else float(v)


def concentration_section(b: ReportBuilder) -> Section:
    units = (("org", "organisations (root)"), ("family", "families"), ("root_country", "root countries"))
    results = {u: b.metric(f"concentration_by_{u}", "concentration", by=u, field=FIELD, series=True,
                           snapshots=b.ids, k="1,5,10") for u, _ in units}
    sec = Section("concentration", "Concentration of downloads",
                  "How concentrated 30-day downloads are over organisations, families and countries (all credited "
                  "through the lineage root). HHI is the sum of squared shares (1 = one group takes everything); Gini "
                  "measures inequality among the groups; top-5 share is the share of the five largest.",
                  sources=[f"concentration_by_{u}" for u, _ in units])
    measures = (("hhi", "HHI"), ("gini", "Gini"), ("cr5", "Top-5 share"))
    if b.series:
        for col, name in measures:
            series = [Series(title, [str(r["observed_at"])[:10] for r in results[u].rows],
                             [_f(r.get(col)) for r in results[u].rows]) for u, title in units]
            sec.add_chart(b.chart(ChartData(f"concentration-{col}", f"{name} over time", "lines",
                                            "snapshot (observed at)", name, series, percent=col == "cr5",
                                            y_range=None if col == "cr5" else (0.0, 1.02)),
                                  b.trend.series, results["org"], "concentration"))
    else:
        series = [Series(title, [n for _, n in measures], [_f((results[u].rows or [{}])[-1].get(c))
                                                           for c, _ in measures]) for u, title in units]
        sec.add_chart(b.chart(ChartData("concentration-bars", "Concentration in the latest snapshot", "bars",
                                        "measure", "value (0-1)", series, y_range=(0.0, 1.02)), [b.last],
                              results["org"], "concentration"))
        sec.notices.append(_no_trend(b, "Concentration is shown for the latest snapshot only —"))
    sec.notes = _dedupe([n for u, _ in units for n in results[u].notes])
    _concentration_headline(b, results["org"].rows)
    return sec


def _concentration_headline(b: ReportBuilder, org_rows: list[dict[str, Any]]) -> None:
    """Top-5 share and HHI over organisations at the latest point, and at the base point when comparable."""
    pts = b.points
    if "as_of" in pts.latest_kw:  # the headline reads the censuses; the chart above reads the snapshot series
        latest = b.metric("concentration_by_org_latest", "concentration", by="org", field=FIELD, k="1,5,10",
                          **pts.latest_kw).rows[-1:]
        base = b.metric("concentration_by_org_first", "concentration", by="org", field=FIELD, k="1,5,10",
                        **pts.base_kw).rows[-1:] if pts.base_kw is not None else []
        org_rows = [*base, *latest] if latest else []
    if not org_rows or org_rows[-1].get("cr5") is None:
        return
    last, first = org_rows[-1], org_rows[0]
    compared = pts.base is not None and len(org_rows) > 1 and first.get("hhi") is not None
    text = (f"In {pts.latest_label}, the five largest organisations (credited through lineage roots) take "
            f"{pct(_f(last['cr5']))} of 30-day downloads; HHI over organisations is {_f(last['hhi']):.3f}")
    snaps = pts.latest
    if compared and pts.base is not None:
        text += f"; in {pts.base_label}: {pct(_f(first['cr5']))} and {_f(first['hhi']):.3f}"
        snaps = [*pts.base, *[s for s in pts.latest if s not in pts.base]]
    b.headline_item("concentration", text[0].upper() + text[1:] + ".",
                    {"cr5_latest": last["cr5"], "hhi_latest": last["hhi"],
                     "cr5_first": first.get("cr5") if compared else None,
                     "hhi_first": first.get("hhi") if compared else None}, snaps)


def movers_section(b: ReportBuilder) -> Section:
    sec = Section("movers", "Top movers",
                  "Organisations (credited through lineage roots) and individual models whose share of 30-day "
                  "downloads rose or fell most between the earliest snapshot comparable with the latest one and the "
                  "latest, in percentage points.")
    pts = b.points
    if pts.base_kw is None or pts.base is None:
        why = pts.reason or b.trend.reason
        sec.notices.append(f"No movers: {pts.latest_label} is not comparable with any earlier point — {why}."
                           if why else "One snapshot: movers need at least two comparable snapshots.")
        return sec
    first = b.metric("downloads_by_org_first", "downloads", by="org", field=FIELD, **pts.base_kw)
    last = b.metric("downloads_by_org_latest", "downloads", by="org", field=FIELD, **pts.latest_kw)
    base_day, last_day = _day(pts.base_kw, b.first), _day(pts.latest_kw, b.last)
    sec.sources = ["downloads_by_org_first", "downloads_by_org_latest", "model_movers"]
    org_rows = _movers({r["org"]: r for r in first.rows if r.get("org") is not None},
                       {r["org"]: r for r in last.rows if r.get("org") is not None})
    cols = [Column("name", "organisation"), Column("share_first", f"share {base_day}", True, "pct"),
            Column("share_last", f"share {last_day}", True, "pct"),
            Column("change", "change", True, "pp"), Column("downloads_last", "30-day downloads (latest)", True,
                                                           "round")]
    rises = [r for r in org_rows if r["change"] >= MIN_MOVE][:TOP_MOVERS]
    falls = sorted((r for r in org_rows if r["change"] <= -MIN_MOVE), key=lambda r: r["change"])[:TOP_MOVERS]
    src = f"Source: {pts.base_label} and {pts.latest_label}: {b.describe_snapshots([*pts.base, *pts.latest])}."
    sec.tables += [Table("movers-org-up", "Organisations gaining share", cols, rises, src,
                         empty="No organisation gained 0.05 percentage points or more."),
                   Table("movers-org-down", "Organisations losing share", cols, falls, src,
                         empty="No organisation lost 0.05 percentage points or more.")]
    model_rows = model_movers(b)
    mcols = [Column("name", "model", code=True), *cols[1:]]
    sec.tables += [Table("movers-model-up", "Models gaining share", mcols,
                         [r for r in model_rows if r["change"] >= MIN_MOVE][:TOP_MOVERS], src,
                         empty="No model gained share."),
                   Table("movers-model-down", "Models losing share", mcols,
                         sorted((r for r in model_rows if r["change"] <= -MIN_MOVE),
                                key=lambda r: r["change"])[:TOP_MOVERS], src,
                         empty="No model lost share.")]
    sec.notes = _dedupe(last.notes + ["model shares = the model's 30-day downloads over the population's total in "
                                      "the same snapshot; a model absent from a snapshot has share 0 there"])
    if rises:
        up = rises[0]
        text = (f"Between {base_day} and {last_day}, {up['name']} gained most: "
                f"from {pct(up['share_first'])} to {pct(up['share_last'])} of 30-day downloads ({pp(up['change'])})")
        if falls:
            dn = falls[0]
            text += (f"; {dn['name']} lost most, from {pct(dn['share_first'])} to {pct(dn['share_last'])} "
                     f"({pp(dn['change'])})")
        b.headline_item("movers", text + ".", {"up": up, "down": falls[0] if falls else None},
                        [*pts.base, *[s for s in pts.latest if s not in pts.base]])
    return sec


def model_movers(b: ReportBuilder) -> list[dict[str, Any]]:
    """Per-model share change between the base and the latest point (``metrics.report_figures``)."""
    cond = b.model_condition("m")
    pick = "SELECT m.id, m.id_lower, m.downloads_30d FROM ({}) m WHERE " + cond
    out = model_share_changes(b.store, pick.format(b.point_sql("base")), pick.format(b.point_sql("latest")),
                              4 * TOP_MOVERS)
    b.metrics["model_movers"] = {
        "table": "model_movers", "computed_by": "modelcensus.metrics.report_figures.model_share_changes",
        "field": FIELD, "population": b.population,
        "snapshots": [public_snapshot(s) for s in [*(b.points.base or []), *b.points.latest]],
        "rows": [{k: jsonable(v) for k, v in r.items()} for r in out],
        **({"synthetic": True} if any(s.synthetic for s in [*(b.points.base or []), *b.points.latest]) else {})}
    return sorted(out, key=lambda r: (-round(r["change"], 12), str(r["name"])))


def _day(kw: dict[str, Any], snap: Any) -> str:
    """The date of a point: the census's as-of day, or the snapshot's observation day."""
    return kw["as_of"].strftime("%Y-%m-%d") if "as_of" in kw else ReportBuilder.date(snap)


def _movers(first: dict[Any, dict[str, Any]], last: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for g in set(first) | set(last):
        a = float((first.get(g) or {}).get("share") or 0.0)
        c = float((last.get(g) or {}).get("share") or 0.0)
        out.append({"name": g, "share_first": a, "share_last": c, "change": c - a,
                    "downloads_last": (last.get(g) or {}).get("downloads")})
    return sorted(out, key=lambda r: (-round(r["change"], 12), str(r["name"])))
