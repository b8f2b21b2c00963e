"""Strings from files and the Hub never reach the terminal raw (issue 10 item 9).

A folder name or model id holding ``ESC ]8;;url BEL`` plants a hyperlink, ``ESC [2J`` clears the screen,
``CR`` rewrites the line already printed. Every human-readable output shows them escaped instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelcensus.cli.main import run

RAW = ("\x1b", "\x07", "\r", "\x9b", "\u202e")
HOSTILE = "m\x1b]8;;http://evil\x07od\rel\x1b[2J\x9b1m\u202e"
FOLDER = "m\x1b]8;;evil\x07od\rel\x1b[2J\x9b1m\u202e"  # a file name cannot hold '/'


def _clean(text: str) -> None:
    for ch in RAW:
        assert ch not in text, (ch, text[:400])


@pytest.fixture
def store(tmp_path: Path) -> str:
    rows = [{"id": f"evil/{HOSTILE}", "downloads": 3},                    # refused id, still named when skipped
            {"id": "good/m", "downloads": 5, "license": HOSTILE, "pipeline_tag": HOSTILE},
            {"id": "good/n", "downloads": 5, "license": "mit"}]
    src = tmp_path / "hub.jsonl"
    src.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    db = str(tmp_path / "c.duckdb")
    assert run(["--db", db, "import", str(src), "--observed-at", "2025-01-01"]) == 0
    return db


def test_import_skips_name_hostile_ids_escaped(tmp_path: Path, capsys) -> None:
    src = tmp_path / "hub.jsonl"
    src.write_text(json.dumps({"id": f"evil/{HOSTILE}", "downloads": 1}) + "\n" +
                   json.dumps({"id": "ok/m", "downloads": 1}) + "\n", encoding="utf-8")
    assert run(["--db", str(tmp_path / "c.duckdb"), "import", str(src), "--observed-at", "2025-01-01"]) == 0
    captured = capsys.readouterr()
    _clean(captured.out + captured.err)
    assert "evil/m\\x1b]8;;http://evil\\x07od\\rel\\x1b[2J\\x9b1m\\u202e" in captured.err


def test_tables_show_hub_fields_escaped(store: str, capsys) -> None:
    capsys.readouterr()
    for args in (["metrics", "downloads", "--by", "license"], ["metrics", "licences", "--by", "license"],
                 ["snapshots"], ["origin", "good/m"], ["lineage", "good/m"]):
        assert run(["--db", store, *args]) == 0, args
        captured = capsys.readouterr()
        _clean(captured.out + captured.err)
    assert run(["--db", store, "metrics", "downloads", "--by", "license", "--format", "json"]) == 0
    text = capsys.readouterr().out
    _clean(text)  # JSON escapes C0 itself; C1 and bidi marks are written as \u escapes too
    assert HOSTILE.lower() in {r["license"] for r in json.loads(text)["rows"]}  # the same value


def test_audit_table_and_markdown_of_a_hostile_folder(tmp_path: Path, capsys) -> None:
    folder = tmp_path / f"folder{FOLDER}"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "llama", "architectures": ["LlamaForCausalLM"]}))
    for fmt in ("table", "md"):
        assert run(["audit", str(folder), "--policy", "none", "--format", fmt]) == 0
        captured = capsys.readouterr()
        _clean(captured.out + captured.err)
        assert "\\x1b" in captured.out
    md = tmp_path / "a.md"
    assert run(["audit", str(folder), "--policy", "none", "--format", "md", "--out", str(md)]) == 0
    _clean(md.read_text(encoding="utf-8"))


def test_one_line_errors_escape_paths(tmp_path: Path, capsys) -> None:
    assert run(["--db", str(tmp_path / "c.duckdb"), "import", str(tmp_path / f"x{FOLDER}.csv")]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert err.count("\n") == 1 and "\\x1b[2J" in err
    assert run(["--db", str(tmp_path / f"s{FOLDER}.duckdb"), "snapshots"]) == 2
    err = capsys.readouterr().err
    _clean(err)
    assert "no such file" in err


def test_markdown_report_cells_escape_control_characters() -> None:
    from modelcensus.outputs.formatting import md_escape

    text = md_escape(f"licence {HOSTILE}")
    _clean(text)
    assert "\\\\x1b" in text  # shown as \x1b once the Markdown is rendered


def test_csv_on_a_terminal_is_escaped_but_piped_csv_is_data(store: str, capsys, monkeypatch) -> None:
    import sys

    capsys.readouterr()
    assert run(["--db", store, "metrics", "downloads", "--by", "license", "--format", "csv"]) == 0
    piped = capsys.readouterr().out
    assert "\x1b" in piped  # a pipe or file gets the data itself (guarded against formulas only)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert run(["--db", store, "metrics", "downloads", "--by", "license", "--format", "csv"]) == 0
    shown = capsys.readouterr().out
    _clean(shown)
    assert "\\x1b]8;;http://evil" in shown
