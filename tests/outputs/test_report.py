"""The census report: its numbers are compute_metric's and the hand-computed ones; it opens offline;
untrusted strings are escaped; the synthetic banner appears exactly when a snapshot is synthetic."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from modelcensus.errors import InputError, NotFoundError
from modelcensus.metrics import compute_metric
from modelcensus.outputs import build_report
from modelcensus.outputs.report import md_escape
from modelcensus.store import Store

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _metric(store, registry, name, **kw):
    return compute_metric(store, name, registry=registry, ensure=False, **kw).to_json()


def _headline(doc, key):
    found = [h for h in doc["headline"] if h["key"] == key]
    assert found, f"no headline {key!r} in {[h['key'] for h in doc['headline']]}"
    return found[0]


# -- numbers ---------------------------------------------------------------------------------------

def test_json_tables_equal_compute_metric(make_store, registry):
    store = make_store()
    doc = build_report(store, fmt="json", registry=registry)
    sids = [s["id"] for s in doc["snapshots"]]
    assert len(sids) == 3
    for by in ("root_country", "publisher_country"):
        expected = _metric(store, registry, "downloads", by=by, snapshot=sids[-1], field="downloads_30d")
        assert doc["metrics"][f"downloads_by_{by}_latest"]["rows"] == expected["rows"]
        expected = _metric(store, registry, "downloads_monthly", by=by, snapshots=sids)
        assert doc["metrics"][f"monthly_downloads_by_{by}"]["rows"] == expected["rows"]
    expected = _metric(store, registry, "downloads", by="root_country", snapshot=sids[0], field="downloads_30d")
    assert doc["metrics"]["downloads_by_root_country_first"]["rows"] == expected["rows"]
    for unit in ("org", "family", "root_country"):
        expected = _metric(store, registry, "concentration", by=unit, field="downloads_30d", series=True,
                           snapshots=sids, k="1,5,10")
        assert doc["metrics"][f"concentration_by_{unit}"]["rows"] == expected["rows"]
    expected = _metric(store, registry, "licence_drift", by="family", field="downloads_30d", snapshot=sids[-1],
                       examples=3)
    assert doc["metrics"]["licence_drift_by_family"]["rows"] == expected["rows"]
    assert doc["metrics"]["ram"]["rows"] == _metric(store, registry, "ram", latest=True, snapshots=sids)["rows"]


def test_json_figures_match_hand_computed_values(make_store, registry, names):
    doc = build_report(make_store(), fmt="json", registry=registry)
    assert doc["synthetic"] is False
    # root CN: 100/500 -> (300 + 200)/1000; the chart series carries the same numbers
    root = _headline(doc, "root-country")["figures"]
    assert root["country"] == "CN"
    assert root["share_latest"] == pytest.approx(0.5)
    assert root["share_first"] == pytest.approx(0.2)
    assert _headline(doc, "root-country-second")["figures"] == {"country": "US", "share_latest": pytest.approx(0.3)}
    assert _headline(doc, "publisher-contrast")["figures"]["publisher_share_latest"] == pytest.approx(0.3)
    assert _headline(doc, "unknown-root")["figures"]["share_latest"] == pytest.approx(0.2)
    countries = next(s for s in doc["sections"] if s["key"] == "countries")
    chart = next(c for c in countries["charts"] if c["key"] == "country-root")
    # monthly flows of all-time counts: January (Qwen 200 + new GGUF 100 of 650), February (500 of 1000)
    cn = next(s for s in chart["series"] if s["name"] == "China (CN)")
    assert chart["kind"] == "area"
    assert cn["x"] == ["2025-01-01", "2025-02-01"]
    assert cn["y"] == pytest.approx([300 / 650, 0.5])
    # licence drift: the MIT fine-tune of Llama (1) + half of the merge (apache-2.0 over a llama3.1 root)
    drift = _headline(doc, "licence-drift")["figures"]
    assert drift["drifted"] == pytest.approx(1.5)
    assert drift["comparable"] == pytest.approx(3.0)
    # movers: Alibaba Qwen 20 % -> 50 %, Meta 80 % -> 30 % of 30-day downloads
    movers = _headline(doc, "movers")["figures"]
    assert movers["up"]["name"] == "Alibaba Qwen" and movers["up"]["change"] == pytest.approx(0.3)
    assert movers["down"]["name"] == "Meta" and movers["down"]["change"] == pytest.approx(-0.5)
    # HHI over known root orgs in the latest snapshot: 0.625^2 + 0.375^2
    assert _headline(doc, "concentration")["figures"]["hhi_latest"] == pytest.approx(0.53125)
    model_up = next(t for s in doc["sections"] for t in s["tables"] if t["key"] == "movers-model-up")
    # models: the GGUF (0 -> 20 %) and the hostile id (0 -> 20 %) tie, then Qwen (20 % -> 30 %)
    assert [r["name"] for r in model_up["rows"]] == ["bartowski/Qwen2.5-7B-GGUF", names["hostile_id"], names["qwen"]]
    assert [r["change"] for r in model_up["rows"]] == pytest.approx([0.2, 0.2, 0.1])


def test_grades_and_provenance(make_store, registry):
    doc = build_report(make_store(), fmt="json", registry=registry)
    assert [g["grade"] for g in doc["grades"]] == ["declared"]
    assert doc["grades"][0]["model_share"] == pytest.approx(1.0)
    last = doc["snapshots"][-1]
    assert {"id", "source", "source_ref", "observed_at", "complete", "rows", "skipped", "synthetic"} <= set(last)
    assert last["rows"] == 6 and last["source_ref"] == "fixture 2025-03-01"
    assert doc["registry_version"] == registry.version
    assert doc["field"] == "downloads_30d" and doc["population"] == "all"


def test_headline_text_in_html(make_store, registry, tmp_path):
    path = build_report(make_store(), out=tmp_path / "r.html", registry=registry)
    text = path.read_text(encoding="utf-8")
    headline = text[text.index('id="headline"'):text.index("</section>", text.index('id="headline"'))]
    assert ("In the latest snapshot (2025-03-01), 50.0 % of 30-day downloads go to models whose lineage root is in "
            "China (CN), up from 20.0 % in the first snapshot (2025-01-01).") in headline
    assert "China takes 30.0 %" in headline
    assert "Alibaba Qwen gained most: from 20.0 % to 50.0 %" in headline


# -- offline, escaping, banner ---------------------------------------------------------------------

class _Resources(HTMLParser):
    """Collects every attribute that would make the browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[tuple[str, str, str]] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        for name, value in attrs:
            if name in ("src", "href", "srcset", "poster", "data") and value and not value.startswith("#"):
                self.fetches.append((tag, name, value))


def test_html_is_self_contained(make_store, registry, tmp_path):
    text = build_report(make_store(), out=tmp_path / "r.html", registry=registry).read_text(encoding="utf-8")
    parser = _Resources()
    parser.feed(text)
    assert parser.fetches == []
    assert parser.scripts >= 2  # plotly.js inline + one per chart
    assert text.count("<script>") == parser.scripts and "cdn.plot.ly/plotly" not in text.split("</head>")[1]
    style = text[text.index("<style>"):text.index("</style>")]
    assert "url(" not in style and "@import" not in style


def test_hostile_strings_are_escaped(make_store, registry, tmp_path):
    store = make_store()
    html_text = build_report(store, out=tmp_path / "r.html", registry=registry).read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html_text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;|`x`" in html_text  # the movers table shows it, escaped
    md_path = build_report(store, out=tmp_path / "r.md", fmt="md", registry=registry)
    md = md_path.read_text(encoding="utf-8")
    assert "<script>" not in md
    row = next(line for line in md.splitlines() if "alert(1)" in line)
    assert r"evil/&lt;script&gt;alert(1)&lt;/script&gt;\|\`x\`" in row
    # the escaped pipe does not add a cell: the row has as many unescaped pipes as the header
    header = md.splitlines()[md.splitlines().index(row) - 2]
    assert len(re.findall(r"(?<!\\)\|", row)) == len(re.findall(r"(?<!\\)\|", header))


def test_md_escape_neutralises_markup(names):
    out = md_escape(names["hostile_license"] + "\n# heading [link](http://x) *b* _i_")
    assert "<" not in out and ">" not in out and "\n" not in out
    assert r"\|" in out and r"\`" in out and r"\[link\]" in out and r"\*b\*" in out and r"\_i\_" in out


@pytest.mark.parametrize("synthetic", [True, False])
def test_synthetic_banner_iff_synthetic(make_store, registry, tmp_path, synthetic):
    store = make_store(synthetic=synthetic)
    doc = build_report(store, fmt="json", registry=registry)
    assert doc["synthetic"] is synthetic
    tables = [t for v in doc["metrics"].values() for t in (v if isinstance(v, list) else [v])]
    assert tables and all(t.get("synthetic", False) is synthetic for t in tables)
    html_text = build_report(store, out=tmp_path / "r.html", registry=registry).read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", html_text, re.S).group(1)
    assert ('id="synthetic-banner"' in html_text) is synthetic
    assert ("[SYNTHETIC DATA]" in title) is synthetic
    md = build_report(store, out=tmp_path / "r.md", fmt="md", registry=registry).read_text(encoding="utf-8")
    assert ("SYNTHETIC DATA — NOT A FINDING" in md) is synthetic


# -- Markdown images -------------------------------------------------------------------------------

def test_markdown_references_valid_pngs(make_store, registry, tmp_path):
    out = tmp_path / "my report.md"
    path = build_report(make_store(), out=out, fmt="md", registry=registry)
    md = path.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    doc = build_report(make_store(name="other.duckdb"), fmt="json", registry=registry)
    n_charts = sum(len(s["charts"]) for s in doc["sections"])
    assert len(links) == n_charts >= 6
    for link in links:
        assert link.startswith("my%20report_files/")
        png = tmp_path / "my report_files" / Path(link).name
        data = png.read_bytes()
        assert data[:8] == PNG_SIGNATURE and len(data) > 5000


# -- degraded inputs -------------------------------------------------------------------------------

def test_one_snapshot_says_there_is_no_time_series(make_store, registry):
    doc = build_report(make_store(n_snapshots=1), fmt="json", registry=registry)
    countries = next(s for s in doc["sections"] if s["key"] == "countries")
    assert any("no time series" in n for n in countries["notices"])
    assert {c["kind"] for c in countries["charts"]} == {"bars"}
    root = _headline(doc, "root-country")
    assert "up from" not in root["text"] and "share_first" not in root["figures"]
    assert root["figures"]["share_latest"] == pytest.approx(0.5)
    movers = next(s for s in doc["sections"] if s["key"] == "movers")
    assert movers["notices"] and not movers["tables"]


def test_empty_store_is_a_clear_input_error(tmp_path, registry):
    with Store(tmp_path / "empty.duckdb") as store, pytest.raises(NotFoundError, match="holds no snapshot"):
        build_report(store, fmt="json", registry=registry)


def test_missing_lineage_is_a_clear_input_error(make_store, registry, monkeypatch):
    import modelcensus.lineage as lineage

    store = make_store()
    store._exec("DELETE FROM origins").fetchall()
    monkeypatch.setattr(lineage, "ensure_lineage", lambda *a, **k: None, raising=False)
    with pytest.raises(InputError, match="no lineage"):
        build_report(store, fmt="json", registry=registry)


def test_bad_format_and_unknown_snapshot(make_store, registry):
    store = make_store()
    with pytest.raises(InputError, match="--format"):
        build_report(store, fmt="pdf", registry=registry)
    with pytest.raises(NotFoundError, match="snapshot 999"):
        build_report(store, fmt="json", registry=registry, snapshots=[999])


def test_explicit_snapshots_and_json_file(make_store, registry, tmp_path, names):
    store = make_store()
    sids = [s.id for s in store.snapshots()]
    path = build_report(store, fmt="json", out=tmp_path / "r.json", registry=registry, snapshots=[sids[0], sids[2]])
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert [s["id"] for s in doc["snapshots"]] == [sids[0], sids[2]]
    assert doc["excluded_snapshots"] == [{"id": sids[1], "source": "flat-file", "observed_at": "2025-02-01T00:00:00Z",
                                          "reason": "not requested"}]
    assert names["qwen"] in json.dumps(doc["metrics"])


def test_population_reaches_every_table(make_store, registry):
    doc = build_report(make_store(), fmt="json", registry=registry, population="llm")
    assert doc["population"] == "llm"
    tables = [t for v in doc["metrics"].values() for t in (v if isinstance(v, list) else [v])]
    assert {t["population"] for t in tables} == {"llm"}


def test_no_attributable_country_is_said_not_guessed(make_store, registry):
    store = make_store()
    store._exec("UPDATE origins SET root_country = NULL").fetchall()
    doc = build_report(store, fmt="json", registry=registry)
    root = _headline(doc, "root-country")
    assert root["text"] == "No download in the latest snapshot (2025-03-01) could be attributed to a root country."
    assert not [h for h in doc["headline"] if h["key"] in ("root-country-second", "publisher-contrast")]
