"""`modelcensus report`: one library call, JSON on stdout and nothing else, exit 2 on bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from modelcensus.cli.main import run
from modelcensus.store import Store


def _one_model_store(path: Path) -> None:
    """One synthetic snapshot holding one Qwen model with its (hand-written) origin row."""
    with Store(path) as store, store.transaction() as con:
        sid = con.execute(
            "INSERT INTO snapshots (source, source_ref, observed_at, imported_at, row_count, complete, synthetic) "
            "VALUES ('synthetic', 'seed 7', ?, ?, 1, TRUE, TRUE) RETURNING id",
            [datetime(2025, 3, 1, tzinfo=UTC), datetime.now(UTC)]).fetchall()[0][0]
        con.execute("INSERT INTO models (snapshot_id, id, id_lower, author, created_at, downloads_30d, "
                    "downloads_all_time, license) VALUES (?, 'Qwen/Qwen2.5-7B', 'qwen/qwen2.5-7b', 'Qwen', ?, 40, "
                    "400, 'apache-2.0')", [sid, datetime(2024, 9, 1, tzinfo=UTC)])
        con.execute("INSERT INTO origins (snapshot_id, model_id, publisher_namespace, publisher_org, "
                    "publisher_country, root_id, root_org, root_country, weight, depth, grade, family) "
                    "VALUES (?, 'Qwen/Qwen2.5-7B', 'Qwen', 'Alibaba Qwen', 'CN', 'Qwen/Qwen2.5-7B', "
                    "'Alibaba Qwen', 'CN', 1.0, 0, 'declared', 'qwen')", [sid])
        from modelcensus.lineage.registry import load_registry

        con.execute("INSERT INTO lineage_builds VALUES (?, ?, ?, '{\"models\": 1}')",
                    [sid, datetime.now(UTC), load_registry().version])


def test_report_json_on_stdout(tmp_path, capsys):
    db = tmp_path / "c.duckdb"
    _one_model_store(db)
    assert run(["--db", str(db), "report", "--format", "json"]) == 0
    out = capsys.readouterr().out
    doc = json.loads(out)  # one JSON document and nothing else
    assert doc["synthetic"] is True
    assert doc["metrics"]["downloads_by_root_country_latest"]["rows"][0]["root_country"] == "CN"
    assert doc["metrics"]["downloads_by_root_country_latest"]["rows"][0]["share"] == 1


def test_report_html_to_file(tmp_path, capsys):
    db, out = tmp_path / "c.duckdb", tmp_path / "out" / "report.html"
    _one_model_store(db)
    assert run(["--db", str(db), "report", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "report written to" in captured.err
    text = out.read_text(encoding="utf-8")
    assert "100.0 % of 30-day downloads go to models whose lineage root is in China (CN)" in text
    assert 'id="synthetic-banner"' in text


def test_report_bad_input_exits_2(tmp_path, capsys):
    db = tmp_path / "c.duckdb"
    assert run(["--db", str(db), "report", "--format", "json"]) == 2
    assert f"store {db}: no such file" in capsys.readouterr().err
    assert not db.exists()
    Store(db).close()
    assert run(["--db", str(db), "report", "--format", "json"]) == 2
    assert "holds no snapshot" in capsys.readouterr().err
    _one_model_store(db)
    assert run(["--db", str(db), "report", "--format", "pdf"]) == 2
    assert "--format" in capsys.readouterr().err
    assert run(["--db", str(db), "report", "--population", "nosuchlist", "--format", "json"]) == 2
    assert "population 'nosuchlist'" in capsys.readouterr().err
