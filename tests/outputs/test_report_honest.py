"""Issue 8, the report's side: figures name their snapshots, warnings come first, a change is stated only
between comparable points (snapshots or as-of censuses), charts never draw empty axes, every chart carries
its source line and (for synthetic data) a mark inside the image, the methods are inside the report, and no
output holds a local path.

Expected figures are the hand-computed ones of ``conftest.py`` (30-day downloads, first -> latest):
root CN 20 % -> 50 %; snapshot 2 (2025-02-01): CN (200 + 100) / 650 = 46.2 %, US (250 + 100) / 650 = 53.8 %.
"""

from __future__ import annotations

import json
import re

import pytest
from PIL import Image

from modelcensus.outputs import build_report
from modelcensus.outputs.charts import ChartData, Series, chart_html
from modelcensus.outputs.methods import METHOD_KEYS
from modelcensus.outputs.static_charts import render_png


def _headline(doc, key):
    return next(h for h in doc["headline"] if h["key"] == key)


def _charts(doc):
    return [c for s in doc["sections"] for c in s["charts"]]


def _set_scope(store, sid, scope, flt=None):
    store._exec("UPDATE snapshots SET scope = ?, filter = ? WHERE id = ?",
                [scope, json.dumps(flt) if flt is not None else None, sid]).fetchall()


# -- headline items name their snapshots; warnings -------------------------------------------------------

def test_headline_items_name_their_snapshots(make_store, registry):
    store = make_store()
    sids = [s.id for s in store.snapshots()]
    doc = build_report(store, fmt="json", registry=registry)
    assert doc["warnings"] == []  # three full censuses: nothing to warn about
    for h in doc["headline"]:
        assert h["snapshots"] and {s["id"] for s in h["snapshots"]} <= set(sids), h
        assert all({"id", "observed_at", "source", "scope"} <= set(s) for s in h["snapshots"])
    assert [s["id"] for s in _headline(doc, "root-country")["snapshots"]] == [sids[0], sids[2]]
    assert [s["id"] for s in _headline(doc, "publisher-contrast")["snapshots"]] == [sids[2]]
    assert [s["id"] for s in _headline(doc, "movers")["snapshots"]] == [sids[0], sids[2]]


def test_partial_inputs_put_a_warning_banner_on_top(make_store, registry, tmp_path):
    store = make_store()
    for s in store.snapshots():
        _set_scope(store, s.id, "partial", {"author": "Qwen"})
    doc = build_report(store, fmt="json", registry=registry)
    assert any(w.startswith("3 of 3 snapshots used are partial") and "author=Qwen" in w and "no full census" in w
               for w in doc["warnings"]), doc["warnings"]
    html = build_report(store, out=tmp_path / "r.html", registry=registry).read_text(encoding="utf-8")
    banner = html[html.index('id="warnings"'):html.index('id="headline"')]
    assert "Read this first" in banner and "3 of 3 snapshots used are partial" in banner
    md = build_report(store, out=tmp_path / "r.md", fmt="md", registry=registry).read_text(encoding="utf-8")
    assert md.index("Read this first") < md.index("## Headline")


# -- no false trend --------------------------------------------------------------------------------------

def test_a_change_is_read_only_from_the_earliest_comparable_snapshot(make_store, registry):
    """Snapshot 1 is another slice than 2 and 3: the change is read from snapshot 2, not 1."""
    store = make_store()
    sids = [s.id for s in store.snapshots()]
    _set_scope(store, sids[0], "partial", {"author": "meta-llama"})
    doc = build_report(store, fmt="json", registry=registry)
    root = _headline(doc, "root-country")
    assert root["text"].endswith("up from 46.2 % in the earliest comparable snapshot (2025-02-01).")
    assert root["figures"]["share_first"] == pytest.approx(300 / 650)
    assert [s["id"] for s in root["snapshots"]] == [sids[1], sids[2]]
    assert [s["id"] for s in doc["metrics"]["concentration_by_org"]["snapshots"]] == sids[1:]
    assert any("not compared" in w and "1 other snapshot" in w for w in doc["warnings"])


def test_no_comparable_snapshot_means_no_change_anywhere(make_store, registry):
    store = make_store()
    sids = [s.id for s in store.snapshots()]
    for sid, author in zip(sids, ("a", "b", "c"), strict=True):
        _set_scope(store, sid, "partial", {"author": author})
    doc = build_report(store, fmt="json", registry=registry)
    texts = " ".join(h["text"] for h in doc["headline"])
    assert not re.search(r"up from|down from|gained most|lost most|unchanged since|first snapshot", texts), texts
    assert any(w.startswith("No trend is drawn: no earlier snapshot is comparable") for w in doc["warnings"])
    movers = next(s for s in doc["sections"] if s["key"] == "movers")
    assert not movers["tables"] and "not comparable" in movers["notices"][0]
    assert "concentration-bars" in [c["key"] for c in _charts(doc)]  # levels, no line over time


def test_as_of_census_is_compared_with_an_earlier_census(make_store, registry):
    store = make_store()
    sids = [s.id for s in store.snapshots()]
    doc = build_report(store, fmt="json", registry=registry, filters={"as_of": "2025-02-15", "max_age": 45})
    assert doc["filters"] == {"as_of": "2025-02-15", "max_age": 45}
    root = _headline(doc, "root-country")
    # snapshot 2: US = (Llama 250 + fine-tune 100) / 650 = 53.8 %; snapshot 1: 400 / 500 = 80 %
    assert root["text"] == ("In the census as of 2025-02-15 (1 snapshot, full backbone, max age 45 days), 53.8 % of "
                            "30-day downloads go to models whose lineage root is in United States (US), down from "
                            "80.0 % in the census as of 2025-01-01.")
    assert [s["id"] for s in root["snapshots"]] == sids[:2]
    assert doc["metrics"]["downloads_by_root_country_latest"]["census"]["snapshots"] == [sids[1]]
    assert {"id": sids[2], "source": "flat-file", "observed_at": "2025-03-01T00:00:00Z",
            "reason": "observed after --as-of"} in doc["excluded_snapshots"]


def test_pipeline_tag_and_library_reach_every_metric(make_store, registry):
    store = make_store()
    doc = build_report(store, fmt="json", registry=registry, filters={"pipeline_tags": ["text-generation"]})
    assert doc["filters"] == {"pipeline_tags": ["text-generation"]}
    tables = [t for t in doc["metrics"].values() if "coverage" in t]
    assert tables and all(t["coverage"]["filters"]["pipeline_tag"] == ["text-generation"] for t in tables)
    assert _headline(doc, "root-country")["figures"]["share_latest"] == pytest.approx(0.5)  # every model is text-gen
    none = build_report(store, fmt="json", registry=registry, filters={"pipeline_tags": ["fill-mask"]})
    model_up = next(t for s in none["sections"] for t in s["tables"] if t["key"] == "movers-model-up")
    assert model_up["rows"] == []  # the report's own SQL applies the filter too
    assert any("no model" in w.lower() for w in none["warnings"]), none["warnings"]


# -- charts ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("series", "kind", "reason"), [
    ([], "area", "no data to draw"),
    ([Series("a", ["2025-01-01", "2025-02-01"], [None, None])], "lines", "no data to draw"),
    ([Series("a", ["2025-01-01"], [0.4])], "lines", "only one point (2025-01-01)"),
    ([Series("a", ["2025-01-01", "2025-02-01"], [0.0, 0.0])], "area", "every value is zero"),
    ([Series("2025-01", [], [])], "bars", "no data to draw"),
])
def test_empty_or_single_point_series_is_a_notice_not_axes(tmp_path, series, kind, reason):
    chart = ChartData("c", "Shares", kind, "month", "share", series, percent=True)
    assert reason in chart.undrawable()
    html = chart_html(chart)
    assert "Plotly.newPlot" not in html and "not drawn" in html and reason in html
    png = render_png(chart, tmp_path / "c.png")
    with Image.open(png) as im:  # a text notice: no axes frame, so almost every pixel is white
        px = list(im.convert("L").get_flattened_data())
        assert sum(1 for p in px if p < 128) / len(px) < 0.02


def test_no_all_time_counts_gives_a_notice_and_bars_not_empty_axes(make_store, registry):
    store = make_store()
    store._exec("UPDATE models SET downloads_all_time = NULL").fetchall()
    doc = build_report(store, fmt="json", registry=registry)
    countries = next(s for s in doc["sections"] if s["key"] == "countries")
    assert countries["notices"][0].startswith("No monthly flows")
    assert [c["kind"] for c in countries["charts"]] == ["bars", "bars"]
    for c in _charts(doc):  # no chart in any section is empty
        assert any(v is not None for s in c["series"] for v in s["y"]), c["key"]
        assert "no month" not in json.dumps(c)


def test_every_chart_has_a_source_line_and_a_method_in_the_report(make_store, registry, tmp_path):
    store = make_store()
    doc = build_report(store, fmt="json", registry=registry)
    for c in _charts(doc):
        assert re.match(r"Source: (\d+ snapshots|snapshot) \d", c["source"]), c
        assert "flat-file, full census" in c["source"] and "population all" in c["source"]
        assert "models" in c["source"]  # coverage
        assert c["method"] in METHOD_KEYS
    html = build_report(store, out=tmp_path / "r.html", registry=registry).read_text(encoding="utf-8")
    for c in _charts(doc):
        assert f'href="#method-{c["method"]}"' in html and f'id="method-{c["method"]}"' in html
    assert html.count("Source: ") >= len(_charts(doc))  # drawn into each figure (plotly annotation)
    md = build_report(store, out=tmp_path / "r.md", fmt="md", registry=registry).read_text(encoding="utf-8")
    assert md.count("<sub>Source: ") == len(_charts(doc))
    for text in (html, md):  # the methods are in the report, not in files the reader does not have
        assert "docs/" not in text and "methods.md" not in text
        assert "Monthly download flows" in text and "When a change is stated" in text


def _red_pixels(path, box):
    with Image.open(path) as im:
        crop = im.convert("RGB").crop(box)
        return sum(1 for r, g, b in crop.get_flattened_data() if r > 150 and g < 80 and b < 80)


def test_synthetic_data_is_marked_inside_the_png(make_store, registry, tmp_path):
    for synthetic in (True, False):
        out = tmp_path / f"s{synthetic}" / "r.md"
        build_report(make_store(synthetic=synthetic, name=f"s{synthetic}.duckdb"), out=out, fmt="md",
                     registry=registry)
        pngs = sorted((out.parent / "r_files").glob("*.png"))
        assert pngs
        for png in pngs:
            with Image.open(png) as im:
                w = im.width
            red = _red_pixels(png, (w - 330, 0, w, 30))  # the red "SYNTHETIC DATA" label, top right
            assert (red > 500) is synthetic, (png.name, red)


# -- no local path in any output -------------------------------------------------------------------------

def test_no_local_path_in_any_output(make_store, registry, tmp_path):
    store = make_store()
    secret = tmp_path / "home" / "alice" / "data"
    for s in store.snapshots():
        store._exec("UPDATE snapshots SET source_ref = ?, filter = ? WHERE id = ?",
                    [str(secret / f"hub-{s.id}.parquet"), json.dumps({"file": str(secret / "hub.parquet")}),
                     s.id]).fetchall()
    texts = [json.dumps(build_report(store, fmt="json", registry=registry))]
    texts.append(build_report(store, out=tmp_path / "r.html", registry=registry).read_text(encoding="utf-8"))
    texts.append(build_report(store, out=tmp_path / "r.md", fmt="md", registry=registry).read_text(encoding="utf-8"))
    for text in texts:
        assert str(tmp_path) not in text and "/home/alice" not in text
        assert "hub-1.parquet" in text  # the file is still named, by its name


def test_cli_report_takes_as_of_max_age_and_filters(make_store, registry, tmp_path, capsys):
    from modelcensus.cli.main import run

    make_store().close()
    code = run(["--db", str(tmp_path / "census.duckdb"), "report", "--format", "json", "--as-of", "2025-02-15",
                "--max-age", "40", "--pipeline-tag", "text-generation", "--library", "transformers"])
    out = capsys.readouterr()
    assert code == 0, out.err
    doc = json.loads(out.out)
    assert doc["filters"] == {"pipeline_tags": ["text-generation"], "libraries": ["transformers"],
                              "as_of": "2025-02-15", "max_age": 40}
