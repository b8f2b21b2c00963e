"""``report --snapshots DIR``: the history report of a folder of hub-stats files, built only from the folder
metrics. Its figures are those metrics' figures (with their coverage and notes), the root sections appear once
the folder's lineage is built and a stated note replaces them before, its JSON is valid, no local path leaks,
bad input is exit 2, and on Spark the figures equal DuckDB's."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from folder_history import rounded

from modelcensus import api
from modelcensus.cli.main import run
from modelcensus.lineage.registry import load_registry
from modelcensus.outputs.formatting import public_text
from modelcensus.outputs.history_report import LATEST_ROWS, month_days
from modelcensus.sources.synthetic import write_hubstats_parquet

DATES = ("2025-01-31", "2025-02-28", "2025-03-31")
PUBLISHER = {  # report metric key -> the folder metric call it must equal
    "downloads_by_publisher_country_latest": ("downloads", {"by": "publisher_country", "field": "downloads_30d"}),
    "monthly_downloads_by_publisher_country": ("downloads_monthly", {"by": "publisher_country"}),
    "downloads_by_publisher_org_latest": ("downloads", {"by": "org", "attribution": "publisher",
                                                        "field": "downloads_30d"}),
    "monthly_downloads_by_publisher_org": ("downloads_monthly", {"by": "org", "attribution": "publisher"}),
    "concentration_by_publisher_org": ("concentration", {"by": "org", "attribution": "publisher", "series": True,
                                                         "k": "1,5,10", "field": "downloads_30d"}),
    "concentration_by_publisher_country": ("concentration", {"by": "publisher_country", "series": True,
                                                             "k": "1,5,10", "field": "downloads_30d"}),
    "ram": ("ram", {"latest": True}),  # the store report's RAM section, over every file (no lineage needed)
}
ROOT = {
    "downloads_by_root_country_latest": ("downloads", {"by": "root_country", "field": "downloads_30d"}),
    "monthly_downloads_by_root_country": ("downloads_monthly", {"by": "root_country"}),
    "downloads_by_root_org_latest": ("downloads", {"by": "org", "field": "downloads_30d"}),
    "monthly_downloads_by_root_org": ("downloads_monthly", {"by": "org"}),
    "concentration_by_root_org": ("concentration", {"by": "org", "series": True, "k": "1,5,10",
                                                    "field": "downloads_30d"}),
    "concentration_by_root_country": ("concentration", {"by": "root_country", "series": True, "k": "1,5,10",
                                                        "field": "downloads_30d"}),
    "derivatives_by_root_country": ("derivatives", {"by": "root_country"}),
    "derivatives_by_family": ("derivatives", {"by": "family"}),
}


def _section(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in doc["sections"] if s["key"] == key)


@pytest.fixture(scope="module")
def registry() -> Any:
    return load_registry()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three monthly SYNTHETIC hub-stats files of 300 models each; no lineage built."""
    out = tmp_path_factory.mktemp("history")
    for day in DATES:
        write_hubstats_parquet(out / f"{day}.parquet", n_models=300, seed=11, observed_at=day)
    return out


@pytest.fixture(scope="module")
def rooted(folder: Path, tmp_path_factory: pytest.TempPathFactory, registry: Any) -> Path:
    """The same files with their lineage built (``lineage build --snapshots``)."""
    out = tmp_path_factory.mktemp("rooted") / "history"
    shutil.copytree(folder, out)
    assert [i.status for i in api.build_folder_lineage(out, registry=registry).items] == ["built"] * 3
    return out


@pytest.fixture(scope="module")
def plain_doc(folder: Path, registry: Any) -> dict[str, Any]:
    doc = api.folder_report(folder, fmt="json", registry=registry)
    assert isinstance(doc, dict)
    return doc


@pytest.fixture(scope="module")
def rooted_doc(rooted: Path, registry: Any) -> dict[str, Any]:
    doc = api.folder_report(rooted, fmt="json", registry=registry)
    assert isinstance(doc, dict)
    return doc


@pytest.mark.parametrize("lineage", [False, True])
def test_figures_are_the_folder_metrics(folder: Path, rooted: Path, plain_doc: dict[str, Any],
                                        rooted_doc: dict[str, Any], registry: Any, lineage: bool) -> None:
    """Every table of the report is the folder metric's table: rows, coverage, warnings, and (made public) notes."""
    doc, path = (rooted_doc, rooted) if lineage else (plain_doc, folder)
    expected = {**PUBLISHER, **(ROOT if lineage else {})}
    assert set(doc["metrics"]) == set(expected)
    for key, (name, args) in expected.items():
        res = api.folder_metric(path, name, registry=registry, **args).to_json()
        mine = doc["metrics"][key]
        assert res["rows"], key
        assert rounded(mine["rows"]) == rounded(res["rows"]), key
        assert mine["coverage"] == res["coverage"] and mine["warnings"] == res["warnings"], key
        assert mine["notes"] == public_text(res["notes"]), key


def test_charts_tables_and_headline_show_those_figures(rooted_doc: dict[str, Any]) -> None:
    m = rooted_doc["metrics"]
    latest = m["downloads_by_publisher_country_latest"]["rows"]
    table = next(t for t in _section(rooted_doc, "publisher_country")["tables"]
                 if t["key"] == "publisher_country-latest")
    assert [r["share"] for r in table["rows"]] == [r["share"] for r in latest[:LATEST_ROWS]]
    assert [r["downloads"] for r in table["rows"]] == [r["downloads"] for r in latest[:LATEST_ROWS]]
    lead = next(r for r in latest if r["publisher_country"] is not None)
    head = {h["key"]: h for h in rooted_doc["headline"]}
    assert head["publisher-country"]["figures"] == {"publisher_country": lead["publisher_country"],
                                                    "share_latest": lead["share"]}
    assert head["root-country"]["figures"]["share_latest"] == next(
        r["share"] for r in m["downloads_by_root_country_latest"]["rows"] if r["root_country"] is not None)
    conc = m["concentration_by_publisher_org"]["rows"]
    assert head["concentration"]["figures"] == {"cr5_latest": conc[-1]["cr5"], "hhi_latest": conc[-1]["hhi"],
                                                "cr5_first": conc[0]["cr5"], "hhi_first": conc[0]["hhi"]}
    hhi = next(c for c in _section(rooted_doc, "concentration")["charts"] if c["key"] == "concentration-hhi")
    assert [s["name"] for s in hhi["series"]] == ["publishing organisations", "publisher countries",
                                                  "root organisations", "root countries"]
    assert hhi["series"][0]["y"] == [r["hhi"] for r in conc]
    # RAM (the store report's section): 300 models give no size class its 10 reference models, so no RAM is
    # defined; the section says so rather than drawing an empty scatter, and the headline has no RAM line
    assert m["ram"]["rows"] and all(r["ram"] is None for r in m["ram"]["rows"])
    ram = _section(rooted_doc, "ram")
    assert ram["charts"] == [] and any("No model has a defined RAM" in n for n in ram["notices"])
    assert "ram" not in head
    for sec in rooted_doc["sections"]:  # every chart carries its source line with the metric's coverage
        for chart in sec["charts"]:
            assert "coverage: " in chart["source"] and "SYNTHETIC DATA" in chart["source"], chart["key"]
    pub = _section(rooted_doc, "publisher_country")
    assert set(m["monthly_downloads_by_publisher_country"]["notes"]) <= set(pub["notes"])


def test_partial_months_are_marked(plain_doc: dict[str, Any]) -> None:
    """The first and last month hold the flows of a few days only: the table says so, never a bare total."""
    table = next(t for t in _section(plain_doc, "publisher_country")["tables"]
                 if t["key"] == "publisher_country-monthly")
    covered = [r["covered"] for r in table["rows"]]
    assert covered == ["1 of 31 days (partial month)", "all 28 days", "30 of 31 days (partial month)"]
    assert "partial month holds only" in table["caption"]
    flows = plain_doc["metrics"]["monthly_downloads_by_publisher_country"]["rows"]
    assert [r["downloads"] for r in table["rows"]] == pytest.approx(
        [sum(r["downloads"] for r in flows if r["month"] == mo) for mo in ("2025-01", "2025-02", "2025-03")])
    assert month_days(date(2024, 12, 15), date(2025, 1, 1), "2024-12") == (17, 31)
    assert month_days(date(2024, 11, 30), date(2025, 2, 1), "2024-12") == (31, 31)


def test_roots_need_the_lineage_and_say_so(plain_doc: dict[str, Any], rooted_doc: dict[str, Any],
                                           folder: Path) -> None:
    note = plain_doc["lineage"]["note"]
    assert plain_doc["lineage"]["current"] is False
    assert "missing or stale for 3 file(s)" in note and f"modelcensus lineage build --snapshots {folder.name}" in note
    assert plain_doc["warnings"][0] == note  # read first, never silently omitted
    roots = _section(plain_doc, "roots")
    assert roots["notices"] == [note] and not roots["charts"]
    assert any("needs the folder's lineage" in n for n in _section(plain_doc, "concentration")["notices"])
    assert rooted_doc["lineage"] == {"current": True, "note": None}
    rooted_roots = _section(rooted_doc, "roots")
    assert [c["key"] for c in rooted_roots["charts"]] == ["root_country-latest", "root_country-monthly",
                                                          "root_org-latest", "root_org-monthly"]
    assert not any("lineage" in w for w in rooted_doc["warnings"])
    # derivatives need the lineage: absent without it, drawn from the derivatives metric with it
    assert "derivatives" not in [s["key"] for s in plain_doc["sections"]]
    deriv = _section(rooted_doc, "derivatives")
    assert [c["key"] for c in deriv["charts"]] == ["derivatives-country", "derivatives-family"]
    by_country = rooted_doc["metrics"]["derivatives_by_root_country"]
    assert by_country["metric"] == "derivatives" and by_country["rows"]
    months = {r["month"] for r in by_country["rows"]}
    for m in months:  # shares of each month sum to 1
        assert sum(r["share"] for r in by_country["rows"] if r["month"] == m) == pytest.approx(1.0)


def test_json_html_and_markdown(rooted: Path, registry: Any, tmp_path: Path) -> None:
    doc = api.folder_report(rooted, fmt="json", out=tmp_path / "h.json", registry=registry)
    text = Path(doc).read_text(encoding="utf-8")  # type: ignore[arg-type]
    parsed = json.loads(text, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))
    assert parsed["report"] == "modelcensus history report" and parsed["synthetic"] is True
    assert parsed["grades"] == [] and "not computed" in parsed["grades_note"]
    assert str(rooted.parent) not in text  # no local path in a published report
    html = Path(api.folder_report(rooted, fmt="html", out=tmp_path / "h.html", registry=registry)).read_text()  # type: ignore[arg-type]
    assert 'id="synthetic-banner"' in html and 'id="roots"' in html and "Monthly downloads" in html
    assert str(rooted.parent) not in html
    md = api.folder_report(rooted, fmt="md", out=tmp_path / "h.md", registry=registry)
    assert (tmp_path / "h_files" / "concentration-hhi.png").is_file()
    assert "covered by the files" in Path(md).read_text()  # type: ignore[arg-type]


def test_cli(folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["report", "--snapshots", str(folder), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["engine"] == "duckdb" and doc["lineage"]["current"] is False
    for args, message in (
            (["--snapshots", str(folder), "--as-of", "2025-02-01"], "--as-of: store report option"),
            (["--snapshots", str(folder), "--population", "llm"], "--population: store report option"),
            (["--engine", "spark"], "--engine and --spark-master apply to --snapshots DIR"),
            (["--snapshots", str(tmp_path)], "no YYYY-MM-DD.parquet file"),
            (["--snapshots", str(tmp_path / "absent")], "not a folder"),
            (["--snapshots", str(folder), "--engine", "flink"], "--engine 'flink'")):
        assert run(["report", *args]) == 2, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err, (args, err)


def test_spark_report_equals_duckdb(folder: Path, plain_doc: dict[str, Any], registry: Any,
                                    spark_engine: Any) -> None:
    """The same report on Spark local mode: every figure equal (the publisher sections; root keys on Spark are
    tested in tests/metrics/test_folder_roots.py)."""
    doc = api.folder_report(folder, fmt="json", engine="spark", registry=registry)
    assert isinstance(doc, dict) and doc["engine"] == "spark"
    assert set(doc["metrics"]) == set(plain_doc["metrics"])
    for key, mine in plain_doc["metrics"].items():
        assert rounded(doc["metrics"][key]["rows"]) == rounded(mine["rows"]), key
        assert doc["metrics"][key]["coverage"] == mine["coverage"], key
    assert [h["figures"] for h in doc["headline"]] == [h["figures"] for h in plain_doc["headline"]]
