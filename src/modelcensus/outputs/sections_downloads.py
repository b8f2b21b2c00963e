"""Report sections about where downloads go: shares by country, concentration, top movers.

Every change these sections state ("up from", "gained most", a line over time) is between the latest
snapshot and the earlier ones comparable with it (``b.trend``); otherwise they show levels and say why.
"""

from __future__ import annotations

from typing import Any

from modelcensus.outputs.builder import FIELD, MIN_MOVE, TOP_MOVERS, ReportBuilder
from modelcensus.outputs.charts import ChartData, Series
from modelcensus.outputs.formatting import pct, pp
from modelcensus.outputs.model import Column, Section, Table, jsonable


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _no_trend(b: ReportBuilder, what: str) -> str:
    why = b.trend.reason or "the store holds one snapshot for this series"
    return f"{what} {why}."


def countries_section(b: ReportBuilder) -> Section:
    lab = b.countries.label
    root = [b.metric("downloads_by_root_country_latest", "downloads", by="root_country", field=FIELD,
                     snapshot=b.last.id)]
    pub = [b.metric("downloads_by_publisher_country_latest", "downloads", by="publisher_country", field=FIELD,
                    snapshot=b.last.id)]
    sources = ["downloads_by_root_country_latest", "downloads_by_publisher_country_latest"]
    if b.series:
        root.insert(0, b.metric("downloads_by_root_country_first", "downloads", by="root_country", field=FIELD,
                                snapshot=b.first.id))
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
            _country_bars(b, sec, root[-1], pub[-1])
        sec.notes = _dedupe(by_root.notes + by_pub.notes)
    else:
        _country_bars(b, sec, root[-1], pub[-1])
        sec.notices.append(_no_trend(b, "The bars show the latest snapshot's 30-day downloads; there is no time "
                                        "series:"))
        sec.notes = _dedupe(root[-1].notes + pub[-1].notes)
    _country_headlines(b, root, pub)
    return sec


def _country_bars(b: ReportBuilder, sec: Section, root: Any, pub: Any) -> None:
    lab = b.countries.label
    sec.add_chart(b.chart(b.bars("country-root", "30-day downloads by root country (share)", root, "root_country",
                                 lab), [b.last], root, "shares-30d"))
    sec.add_chart(b.chart(b.bars("country-publisher", "30-day downloads by publisher country (share)", pub,
                                 "publisher_country", lab), [b.last], pub, "shares-30d"))


def _country_headlines(b: ReportBuilder, root: list[Any], pub: list[Any]) -> None:
    last = [r for r in root[-1].rows if r.get("root_country") is not None and r.get("share") is not None]
    if not last:
        b.headline_item("root-country", "No download in the latest snapshot could be attributed to a root country.",
                        {}, [b.last])
        return
    lead = last[0]
    code, share = lead["root_country"], float(lead["share"])
    text = (f"In the latest snapshot ({b.date(b.last)}), {pct(share)} of 30-day downloads go to models whose lineage "
            f"root is in {b.countries.label(code)}")
    figures: dict[str, Any] = {"country": code, "share_latest": share, "snapshot_latest": b.last.id}
    snaps = [b.last]
    if b.series:
        before = b.share_of(root[0], "root_country", code)
        shown, shown_before = round(share * 1000), round(before * 1000)  # as printed: 0.1 % steps
        word = "up" if shown > shown_before else "down" if shown < shown_before else "unchanged"
        since = (f"the {'first' if not b.trend.left_out else 'earliest comparable'} snapshot "
                 f"({b.date(b.first)})")
        text += f", {word} from {pct(before)} in {since}" if word != "unchanged" else f", unchanged since {since}"
        figures.update(share_first=before, snapshot_first=b.first.id)
        snaps = [b.first, b.last]
    b.headline_item("root-country", text + ".", figures, snaps)
    if len(last) > 1:
        second = last[1]
        b.headline_item("root-country-second",
                        f"Next comes {b.countries.label(second['root_country'])} with {pct(float(second['share']))}.",
                        {"country": second["root_country"], "share_latest": float(second["share"])}, [b.last])
    pub_share = b.share_of(pub[-1], "publisher_country", code)
    b.headline_item(
        "publisher-contrast",
        f"Counted by the publisher's country instead of the root's, {b.countries.name(code)} takes {pct(pub_share)}: "
        f"lineage attribution moves {abs(share - pub_share) * 100:.1f} percentage points of downloads "
        f"{'towards' if share >= pub_share else 'away from'} it.",
        {"country": code, "publisher_share_latest": pub_share, "root_share_latest": share}, [b.last])
    unknown = b.share_of(root[-1], "root_country", None)
    b.headline_item("unknown-root",
                    f"{pct(unknown)} of 30-day downloads go to models whose root country is unknown (not in the "
                    "registry, or lineage broken by a missing parent).", {"share_latest": unknown}, [b.last])


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
                                            "snapshot (observed at)", name, series, percent=col == "cr5"),
                                  b.trend.series, results["org"], "concentration"))
    else:
        series = [Series(title, [n for _, n in measures], [_f((results[u].rows or [{}])[-1].get(c))
                                                           for c, _ in measures]) for u, title in units]
        sec.add_chart(b.chart(ChartData("concentration-bars", "Concentration in the latest snapshot", "bars",
                                        "measure", "value (0-1)", series), [b.last], results["org"], "concentration"))
        sec.notices.append(_no_trend(b, "Concentration is shown for the latest snapshot only:"))
    sec.notes = _dedupe([n for u, _ in units for n in results[u].notes])
    org_rows = results["org"].rows
    if org_rows and org_rows[-1].get("cr5") is not None:
        last, first = org_rows[-1], org_rows[0]
        text = (f"The five largest organisations (credited through lineage roots) take {pct(_f(last['cr5']))} of "
                f"30-day downloads; HHI over organisations is {_f(last['hhi']):.3f}")
        snaps = [b.last]
        if b.series and first.get("hhi") is not None:
            text += (f" ({'first' if not b.trend.left_out else 'earliest comparable'} snapshot: "
                     f"{pct(_f(first['cr5']))} and {_f(first['hhi']):.3f})")
            snaps = [b.first, b.last]
        b.headline_item("concentration", text + ".", {"cr5_latest": last["cr5"], "hhi_latest": last["hhi"],
                                                      "cr5_first": first.get("cr5") if b.series else None,
                                                      "hhi_first": first.get("hhi") if b.series else None}, snaps)
    return sec


def movers_section(b: ReportBuilder) -> Section:
    sec = Section("movers", "Top movers",
                  "Organisations (credited through lineage roots) and individual models whose share of 30-day "
                  "downloads rose or fell most between the earliest snapshot comparable with the latest one and the "
                  "latest, in percentage points.")
    if not b.series:
        sec.notices.append(f"No movers: the latest snapshot is not comparable with any earlier one — "
                           f"{b.trend.reason}." if b.trend.reason
                           else "One snapshot: movers need at least two comparable snapshots.")
        return sec
    first = b.metric("downloads_by_org_first", "downloads", by="org", field=FIELD, snapshot=b.first.id)
    last = b.metric("downloads_by_org_latest", "downloads", by="org", field=FIELD, snapshot=b.last.id)
    sec.sources = ["downloads_by_org_first", "downloads_by_org_latest", "model_movers"]
    org_rows = _movers({r["org"]: r for r in first.rows if r.get("org") is not None},
                       {r["org"]: r for r in last.rows if r.get("org") is not None})
    cols = [Column("name", "organisation"), Column("share_first", f"share {b.date(b.first)}", True, "pct"),
            Column("share_last", f"share {b.date(b.last)}", True, "pct"),
            Column("change", "change", True, "pp"), Column("downloads_last", "30-day downloads (latest)", True,
                                                           "round")]
    rises = [r for r in org_rows if r["change"] >= MIN_MOVE][:TOP_MOVERS]
    falls = sorted((r for r in org_rows if r["change"] <= -MIN_MOVE), key=lambda r: r["change"])[:TOP_MOVERS]
    src = f"Source: {b.describe_snapshots([b.first, b.last])}."
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
        text = (f"Between {b.date(b.first)} and {b.date(b.last)}, {up['name']} gained most: "
                f"from {pct(up['share_first'])} to {pct(up['share_last'])} of 30-day downloads ({pp(up['change'])})")
        if falls:
            dn = falls[0]
            text += (f"; {dn['name']} lost most, from {pct(dn['share_first'])} to {pct(dn['share_last'])} "
                     f"({pp(dn['change'])})")
        b.headline_item("movers", text + ".", {"up": up, "down": falls[0] if falls else None}, [b.first, b.last])
    return sec


def model_movers(b: ReportBuilder) -> list[dict[str, Any]]:
    """Per-model share change between the first comparable and the latest snapshot (one set-based query)."""
    from modelcensus.metrics.population import population_sql

    cond = population_sql(b.population, "m")
    rows = b.store._exec(f"""
        WITH s AS (
          SELECT m.snapshot_id, m.id, m.id_lower, coalesce(m.downloads_30d, 0) AS d,
                 coalesce(m.downloads_30d, 0) / nullif(sum(coalesce(m.downloads_30d, 0))
                     OVER (PARTITION BY m.snapshot_id), 0) AS share
          FROM models m WHERE m.snapshot_id IN (?, ?) AND {cond}),
        a AS (SELECT * FROM s WHERE snapshot_id = ?), c AS (SELECT * FROM s WHERE snapshot_id = ?)
        SELECT coalesce(c.id, a.id) AS name, coalesce(a.share, 0) AS share_first,
               coalesce(c.share, 0) AS share_last, coalesce(c.share, 0) - coalesce(a.share, 0) AS change,
               c.d AS downloads_last
        FROM a FULL JOIN c USING (id_lower)
        ORDER BY abs(coalesce(c.share, 0) - coalesce(a.share, 0)) DESC, name
        LIMIT {4 * TOP_MOVERS}
    """, [b.first.id, b.last.id, b.first.id, b.last.id]).fetchall()
    out = [{"name": r[0], "share_first": float(r[1]), "share_last": float(r[2]), "change": float(r[3]),
            "downloads_last": r[4]} for r in rows]
    b.metrics["model_movers"] = {
        "table": "model_movers", "computed_by": "modelcensus.outputs.sections_downloads.model_movers",
        "field": FIELD, "population": b.population,
        "snapshots": [b.first.as_dict(), b.last.as_dict()],
        "rows": [{k: jsonable(v) for k, v in r.items()} for r in out],
        **({"synthetic": True} if b.first.synthetic or b.last.synthetic else {})}
    return sorted(out, key=lambda r: (-round(r["change"], 12), str(r["name"])))


def _movers(first: dict[Any, dict[str, Any]], last: dict[Any, dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for g in set(first) | set(last):
        a = float((first.get(g) or {}).get("share") or 0.0)
        c = float((last.get(g) or {}).get("share") or 0.0)
        out.append({"name": g, "share_first": a, "share_last": c, "change": c - a,
                    "downloads_last": (last.get(g) or {}).get("downloads")})
    return sorted(out, key=lambda r: (-round(r["change"], 12), str(r["name"])))
