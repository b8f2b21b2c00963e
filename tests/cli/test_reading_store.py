"""Reading commands never create a store, and open an existing one read-only.

`--db /nonexistent/dir/x.duckdb snapshots` used to create the folders and an empty store, then
answer as if an empty census had been asked for. Only import, pull and demo create stores.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from modelcensus.cli.main import run
from modelcensus.store import Store
from modelcensus.store import store as store_module

READING = [
    ["snapshots"], ["snapshots", "--format", "json"], ["metrics", "downloads", "--by", "root_country"],
    ["origin", "org/m"], ["lineage", "org/m", "--format", "json"], ["report", "--format", "json"],
    ["export", "latest", "--format", "csv"], ["export", "latest", "--table", "origins"], ["audit", "org/m"],
]


@pytest.mark.parametrize("args", READING, ids=lambda a: " ".join(a))
def test_a_reading_command_on_a_missing_store_is_exit_2_naming_it_and_creates_nothing(
        tmp_path: Path, capsys, monkeypatch, args: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "nonexistent" / "dir" / "x.duckdb"
    assert run(["--db", str(db), *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and f"store {db}: no such file" in lines[0], lines
    assert not (tmp_path / "nonexistent").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no export file, no store, no folder


def test_the_environment_store_is_named_too(tmp_path: Path, capsys, monkeypatch) -> None:
    db = tmp_path / "env" / "census.duckdb"
    monkeypatch.setenv("MODELCENSUS_DB", str(db))
    assert run(["snapshots"]) == 2
    assert f"store {db}: no such file" in capsys.readouterr().err
    assert not db.parent.exists()


def test_a_folder_given_as_the_store_is_exit_2(tmp_path: Path, capsys) -> None:
    assert run(["--db", str(tmp_path), "snapshots"]) == 2
    assert f"store {tmp_path}: not a file" in capsys.readouterr().err


def _records(path: Path) -> Path:
    rows = [{"id": "org/base", "downloads": 100, "pipeline_tag": "text-generation"},
            {"id": "org/m", "downloads": 5, "cardData": {"base_model": "org/base"}},
            {"id": "other/q", "downloads": 3, "cardData": {"base_model": "org/m", "base_model_relation": "quantized"}}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def opened(monkeypatch) -> list[bool]:
    """The ``read_only`` flag of every Store opened from now on."""
    modes: list[bool] = []
    real = store_module.Store.__init__

    def spy(self: Store, *args: object, read_only: bool = False, **kwargs: object) -> None:
        modes.append(read_only)
        real(self, *args, read_only=read_only, **kwargs)

    monkeypatch.setattr(store_module.Store, "__init__", spy)
    return modes


def test_reading_commands_open_read_only_and_rebuild_lineage_on_a_writable_pass(
        tmp_path: Path, capsys, opened: list[bool]) -> None:
    db = tmp_path / "c.duckdb"
    assert run(["--db", str(db), "import", str(_records(tmp_path / "m.jsonl")), "--observed-at", "2025-01-01"]) == 0
    assert opened == [False]  # import creates
    opened.clear()
    assert run(["--db", str(db), "snapshots", "--format", "json"]) == 0
    assert opened == [True]
    opened.clear()
    capsys.readouterr()
    # lineage not built yet: the read-only pass stops before any output and the command re-runs writable
    assert run(["--db", str(db), "origin", "other/q", "--format", "json"]) == 0
    assert opened == [True, False]
    doc = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in doc["roots"]] == ["org/base"]
    opened.clear()
    assert run(["--db", str(db), "origin", "other/q", "--format", "json"]) == 0  # built: read-only only
    assert opened == [True]
    assert json.loads(capsys.readouterr().out) == doc


def test_a_read_only_store_answers_while_another_reader_holds_it(tmp_path: Path, capsys) -> None:
    db = tmp_path / "c.duckdb"
    assert run(["--db", str(db), "import", str(_records(tmp_path / "m.jsonl")), "--observed-at", "2025-01-01"]) == 0
    with Store(db, read_only=True) as other:  # same process: a writable open would conflict with this one
        assert run(["--db", str(db), "snapshots", "--format", "json"]) == 0
        assert other.snapshots()[0].row_count == 3
    assert json.loads(capsys.readouterr().out.split("\n", 1)[1])["snapshots"][0]["rows"] == 3


def test_a_store_from_an_older_version_is_migrated_once_then_read(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    duckdb.connect(str(db)).close()  # an empty DuckDB file: schema version 0
    with Store(db, read_only=True) as store:
        assert store.snapshots() == []
        assert not store.read_only  # it had to write its schema
    with Store(db, read_only=True) as store:
        assert store.read_only and store.snapshots() == []


def test_audit_of_local_folders_needs_no_store_and_creates_none(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "llama"}')
    db = tmp_path / "missing" / "x.duckdb"
    assert run(["--db", str(db), "audit", str(folder), "--policy", "none", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["models"]
    assert not db.parent.exists()
    inventory = tmp_path / "inv.txt"
    inventory.write_text("org/m\n")
    assert run(["--db", str(db), "audit", "--inventory", str(inventory)]) == 2  # a Hub id to look up there
    assert f"store {db}: no such file" in capsys.readouterr().err
    assert not db.parent.exists()
