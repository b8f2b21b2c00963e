"""`modelcensus origin` and `modelcensus lineage`: JSON on stdout only, notes on stderr, exit codes."""

from __future__ import annotations

import json

import pytest
from lineage_snapshots import add_snapshot, hub

from modelcensus.cli.main import run
from modelcensus.store import Store


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "census.duckdb"
    with Store(path) as s:
        add_snapshot(s, [
            hub("Qwen/Qwen2.5-7B", downloads=100),
            hub("org/ft", base="Qwen/Qwen2.5-7B"),
            hub("bartowski/ft-GGUF", base="org/ft", relation="quantized"),
            hub("someone/merge", base=["meta-llama/Llama-3.1-8B", "Qwen/Qwen2.5-7B"]),
            hub("meta-llama/Llama-3.1-8B"),
        ])
    return str(path)


def test_origin_json_is_one_document_and_build_note_goes_to_stderr(db, capsys):
    assert run(["--db", db, "origin", "BARTOWSKI/ft-gguf", "--format", "json"]) == 0
    cap = capsys.readouterr()
    doc = json.loads(cap.out)
    assert doc["model"] == "bartowski/ft-GGUF"
    assert doc["roots"][0]["country"] == "CN" and doc["roots"][0]["relations"] == ["quantized", "finetune"]
    assert "building lineage" in cap.err
    # second call: already built, no note
    assert run(["--db", db, "origin", "bartowski/ft-GGUF", "--format", "json"]) == 0
    assert "building lineage" not in capsys.readouterr().err


def test_origin_table_shows_roots_and_countries(db, capsys):
    assert run(["--db", db, "origin", "someone/merge"]) == 0
    text = capsys.readouterr().out
    assert "US" in text and "CN" in text and "0.500" in text


def test_lineage_table_and_json(db, capsys):
    assert run(["--db", db, "lineage", "Qwen/Qwen2.5-7B"]) == 0
    text = capsys.readouterr().out
    assert "descendants: 3" in text and "org/ft" in text
    assert run(["--db", db, "lineage", "org/ft", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [e["parent"] for e in doc["ancestors"]] == ["Qwen/Qwen2.5-7B"]
    assert doc["descendants"]["total"] == 1


def test_unknown_model_bad_format_and_bad_snapshot_exit_2(db, capsys):
    assert run(["--db", db, "origin", "nobody/nothing"]) == 2
    assert "nobody/nothing" in capsys.readouterr().err
    assert run(["--db", db, "origin", "org/ft", "--format", "xml"]) == 2
    assert run(["--db", db, "lineage", "org/ft", "--snapshot", "99"]) == 2
    assert "snapshot 99" in capsys.readouterr().err
