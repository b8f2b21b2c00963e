"""CSV outputs neutralise formula injection (OWASP): values taken from Hub fields through the real import path.

A licence, pipeline tag or card field is anyone's text; opened in a spreadsheet, a cell starting with
``=``, ``+``, ``-`` or ``@`` runs as a formula. Every CSV writer goes through ``safe_output``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from modelcensus.cli.main import run
from modelcensus.safe_output import csv_cell, csv_text

HUB_RECORDS = [
    {"id": "evil/model", "author": "evil", "downloads": 5, "pipeline_tag": "+text-generation",
     "license": "=HYPERLINK(\"http://x\",\"y\")", "cardData": {"license": "-2+3", "base_model": "good/base"}},
    {"id": "good/base", "author": "good", "downloads": 10, "license": "apache-2.0", "pipeline_tag": "@x"},
    {"id": "good/other", "author": "good", "downloads": 10, "license": "mit", "pipeline_tag": "text-generation"},
]
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _store(tmp_path: Path) -> str:
    src = tmp_path / "hub.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in HUB_RECORDS) + "\n", encoding="utf-8")
    db = str(tmp_path / "c.duckdb")
    assert run(["--db", db, "import", str(src), "--observed-at", "2025-01-01"]) == 0
    return db


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_metrics_csv_guards_licence_and_pipeline_tag_cells(tmp_path: Path, capsys) -> None:
    db = _store(tmp_path)
    capsys.readouterr()
    assert run(["--db", db, "metrics", "downloads", "--by", "license", "--format", "csv"]) == 0
    rows = _csv(capsys.readouterr().out)
    assert {r["license"] for r in rows} == {"'=hyperlink(\"http://x\",\"y\")", "apache-2.0", "mit"}
    for r in rows:
        assert not any(v.startswith(TRIGGERS) for v in r.values()), r
    out = tmp_path / "m.csv"
    assert run(["--db", db, "metrics", "licences", "--by", "license", "--format", "csv", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").count("'=hyperlink") == 1


def test_export_csv_of_origins_guards_too(tmp_path: Path, capsys) -> None:
    db = _store(tmp_path)
    assert run(["--db", db, "export", "latest", "--table", "models", "--format", "csv", "--out", str(tmp_path)]) == 0
    rows = _csv((tmp_path / "snapshot-1.csv").read_text(encoding="utf-8"))
    evil = next(r for r in rows if r["id"] == "evil/model")
    assert evil["pipeline_tag"] == "'+text-generation" and evil["license"].startswith("'=")


def test_licences_by_license_is_a_share_of_all_models_not_1_on_every_row(tmp_path: Path, capsys) -> None:
    """Grouped by the licence itself each group held one licence, so 'share of the group' was 1 everywhere."""
    db = _store(tmp_path)
    capsys.readouterr()
    assert run(["--db", db, "metrics", "licences", "--by", "license", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert [round(r["share"], 6) for r in rows] == [0.333333] * 3  # one model each of three
    assert abs(sum(r["downloads_share"] for r in rows) - 1) < 1e-9
    assert {r["license"]: r["downloads_share"] for r in rows}["apache-2.0"] == 0.4


def test_the_helper_prefixes_text_only_and_is_reversible() -> None:
    assert [csv_cell(v) for v in ("=1", "+1", "-1", "@a", "\tx", "\rx", "'q", "ok", "")] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "''q", "ok", ""]
    assert csv_cell(-5) == -5 and csv_cell(-0.5) == -0.5  # numbers are numbers, never formulas
    assert csv_text(["a", "=b"], [[-1, "-1"]]) == "a,'=b\n-1,'-1\n"
