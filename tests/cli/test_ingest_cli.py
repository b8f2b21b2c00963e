"""import / snapshots / export on the command line: output streams and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from modelcensus.cli.main import run


def _flat(text: str) -> str:
    """Rich folds long lines at the console width; compare the words, not the layout."""
    return " ".join(text.split())

RECORDS = [{"id": "Qwen/Qwen3-8B", "downloads": 100, "likes": 3, "tags": ["license:apache-2.0"]},
           {"id": "x/bad", "downloads": "many"}]


def _jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "models.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    return path


def test_import_then_snapshots_then_export(tmp_path, capsys):
    db = str(tmp_path / "s.duckdb")
    src = _jsonl(tmp_path)
    assert run(["--db", db, "import", str(src), "--observed-at", "2025-05-01T10:00:00Z"]) == 0
    cap = capsys.readouterr()
    assert "snapshot 1: imported, 1 rows, 1 skipped" in cap.out
    assert "downloads is not an integer (1)" in _flat(cap.err) and "x/bad" in cap.err
    assert run(["--db", db, "import", str(src), "--observed-at", "2025-05-01T10:00:00Z"]) == 0
    assert "snapshot 1: already present" in capsys.readouterr().out

    assert run(["--db", db, "snapshots", "--format", "json"]) == 0
    cap = capsys.readouterr()
    doc = json.loads(cap.out)  # stdout is one JSON document
    assert [(s["id"], s["rows"], s["skipped"], s["observed_at"], s["source"]) for s in doc["snapshots"]] == [
        (1, 1, 1, "2025-05-01T10:00:00Z", "flat-file")]
    assert run(["--db", db, "snapshots"]) == 0
    table = capsys.readouterr().out
    assert "observed" in table and "yes" in table

    out = tmp_path / "exp.parquet"
    assert run(["--db", db, "export", "1", "--format", "parquet", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    db2 = str(tmp_path / "t.duckdb")
    assert run(["--db", db2, "import", str(out)]) == 0
    assert "snapshot 1: imported, 1 rows" in capsys.readouterr().out


def test_exit_codes_for_bad_input(tmp_path, capsys):
    db = str(tmp_path / "s.duckdb")
    src = _jsonl(tmp_path)
    assert run(["--db", db, "import", str(src), "--observed-at", "last tuesday"]) == 2
    assert "--observed-at 'last tuesday'" in _flat(capsys.readouterr().err)
    assert run(["--db", db, "import", str(src)]) == 2
    assert "pass --observed-at" in _flat(capsys.readouterr().err)
    assert run(["--db", db, "import", str(tmp_path / "nope.csv")]) == 2
    assert "nope.csv: no such file" in _flat(capsys.readouterr().err)
    png = tmp_path / "pic.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n....")
    assert run(["--db", db, "import", str(png)]) == 2
    assert "pic.csv: is a PNG image" in _flat(capsys.readouterr().err)
    assert run(["--db", db, "snapshots", "--format", "xml"]) == 2
    assert run(["--db", db, "export", "7", "--format", "csv"]) == 2
    assert "snapshot 7" in _flat(capsys.readouterr().err)
    assert run(["--db", db, "export", "latest", "--format", "xlsx"]) == 2
    assert "--format 'xlsx'" in _flat(capsys.readouterr().err)
    assert run(["--db", db, "import"]) == 2  # usage error


def test_real_process_keeps_json_stdout_clean(tmp_path):
    db = tmp_path / "s.duckdb"
    exe = Path(sys.executable).parent / "modelcensus"
    src = _jsonl(tmp_path)
    done = subprocess.run([str(exe), "--db", str(db), "import", str(src), "--observed-at", "2025-05-01"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    listing = subprocess.run([str(exe), "--db", str(db), "snapshots", "--format", "json"],
                             capture_output=True, text=True, timeout=120)
    assert listing.returncode == 0 and json.loads(listing.stdout)["snapshots"][0]["rows"] == 1
