"""`modelcensus metrics`: formats, options, and exit 2 with the valid choices on bad input."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest

from modelcensus.cli.main import run
from modelcensus.store import SnapshotMeta, Store


@pytest.fixture
def db(tmp_path):
    """A store with one snapshot: two roots and a fine-tune, origins inserted by hand."""
    path = tmp_path / "cli.duckdb"
    with Store(path) as s:
        with s.transaction():
            sid = s.create_snapshot(SnapshotMeta(source="test", observed_at=datetime(2025, 1, 31, tzinfo=UTC),
                                                 fingerprint="cli-1"), complete=True)
        for mid, d30, created in (("Qwen/Q", 300, "2024-09-01"), ("meta-llama/L", 100, "2024-07-01"),
                                  ("x/Q-ft", 100, "2025-01-05")):
            s._exec("INSERT INTO models (snapshot_id, id, id_lower, created_at, downloads_30d, pipeline_tag) "
                    "VALUES (?, ?, ?, ?, ?, 'text-generation')",
                    [sid, mid, mid.lower(), datetime.fromisoformat(created).replace(tzinfo=UTC), d30]).fetchall()
        for mid, root, country in (("Qwen/Q", "Qwen/Q", "CN"), ("meta-llama/L", "meta-llama/L", "US"),
                                   ("x/Q-ft", "Qwen/Q", "CN")):
            s._exec("INSERT INTO origins (snapshot_id, model_id, root_id, root_country, weight, depth, grade) "
                    "VALUES (?, ?, ?, ?, 1.0, ?, 'declared')", [sid, mid, root, country, int(mid != root)]).fetchall()
        s._exec("INSERT INTO edges (snapshot_id, child_id, parent_id, relation, inferred, grade) "
                "VALUES (?, 'x/Q-ft', 'Qwen/Q', 'finetune', FALSE, 'declared')", [sid]).fetchall()
    return path


def test_json_is_one_document_with_the_numbers(db, capsys):
    code = run(["--db", str(db), "metrics", "downloads", "--by", "root_country", "--format", "json",
                "--option", "ensure=false"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["metric"] == "downloads" and doc["field"] == "downloads_30d"
    assert {r["root_country"]: (r["downloads"], r["share"]) for r in doc["rows"]} == {"CN": (400, 0.8),
                                                                                     "US": (100, 0.2)}


def test_csv_table_and_parquet(db, capsys, tmp_path, monkeypatch):
    from modelcensus.cli.common import out as console

    monkeypatch.setattr(console, "width", 250)   # a wide terminal, so table cells are not folded
    assert run(["--db", str(db), "metrics", "derivatives", "--format", "csv", "-o", "ensure=false"]) == 0
    assert capsys.readouterr().out.splitlines() == ["month,relation,derivatives,share", "2025-01,finetune,1,1"]
    assert run(["--db", str(db), "metrics", "concentration", "--by", "root_country", "-o", "ensure=false"]) == 0
    text = capsys.readouterr().out
    assert "│ 0.680 │" in text         # HHI = 0.8² + 0.2², three decimals (terminal_tables)
    out = tmp_path / "m.parquet"
    assert run(["--db", str(db), "metrics", "downloads", "--format", "parquet", "--out", str(out),
                "-o", "ensure=false"]) == 0
    table = pq.read_table(out)
    assert table.column("downloads").to_pylist() == [400, 100]


@pytest.mark.parametrize(("argv", "expected"), [
    (["metrics", "nonsense"], "expected one of downloads, downloads_cumulative"),
    (["metrics", "downloads", "--by", "zodiac"], "expected one of root_country, publisher_country"),
    (["metrics", "downloads", "--population", "martians"], "expected one of all, llm"),
    (["metrics", "downloads", "--format", "xml"], "expected one of table, csv, json, parquet"),
    (["metrics", "downloads", "--format", "parquet"], "needs --out"),
    (["metrics", "downloads", "-o", "novalue"], "expected KEY=VALUE"),
    (["metrics", "downloads", "-o", "gaps=spread"], "option 'gaps' for metric downloads"),
])
def test_bad_input_exits_2_with_choices(db, capsys, argv, expected):
    code = run(["--db", str(db), *argv, "-o", "ensure=false"] if "-o" not in argv else ["--db", str(db), *argv])
    assert code == 2
    assert expected in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_unwritable_out_is_exit_2_naming_it(db, capsys, tmp_path, fmt):
    """--out at a directory used to end in exit 3 ("internal error: IsADirectoryError")."""
    folder = tmp_path / "folder"
    folder.mkdir()
    code = run(["--db", str(db), "metrics", "downloads", "--format", fmt, "--out", str(folder),
                "--option", "ensure=false"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert f"--out {folder}: cannot write" in err[0]


def test_out_creates_missing_folders(db, capsys, tmp_path):
    target = tmp_path / "new" / "deeper" / "m.parquet"
    code = run(["--db", str(db), "metrics", "downloads", "--by", "root_country", "--format", "parquet",
                "--out", str(target), "--option", "ensure=false"])
    assert code == 0
    assert sorted(pq.read_table(target).column("root_country").to_pylist()) == ["CN", "US"]
