"""Opening a store at a path that cannot hold one is bad input (exit 2), never an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcensus.cli.main import run
from modelcensus.errors import InputError
from modelcensus.store import Store


def test_store_under_a_file_is_an_input_error(tmp_path: Path) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match=r"^store .*/census.duckdb: cannot create its folder \(File exists\)"):
        Store(blocker / "census.duckdb")
    with pytest.raises(InputError, match=r"cannot create its folder \(Not a directory\)"):
        Store(blocker / "deeper" / "census.duckdb")


def test_cli_db_under_a_file_exits_2_with_one_line(tmp_path: Path, capsys, monkeypatch) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder")
    records = tmp_path / "m.jsonl"
    records.write_text('{"id": "org/m", "downloads": 1}\n')
    assert run(["--db", str(blocker / "x.duckdb"), "import", str(records)]) == 2
    monkeypatch.setenv("MODELCENSUS_DB", str(blocker / "y" / "x.duckdb"))
    assert run(["import", str(records)]) == 2
    assert run(["snapshots", "--format", "json"]) == 2  # a reading command: the store is simply not there
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 3 and all("cannot create its folder" in line for line in lines[:2])
    assert f"store {blocker / 'y' / 'x.duckdb'}: no such file" in lines[2]
