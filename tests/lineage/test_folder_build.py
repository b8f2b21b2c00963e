"""``lineage build --snapshots DIR``: every dated hub-stats file's lineage, built by the store's own rules one
snapshot at a time and written beside the folder; equal to the store path, resumable, and a bad file fails
alone, leaving nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from modelcensus import api
from modelcensus.errors import InputError
from modelcensus.lineage.folder_build import LINEAGE_DIR, lineage_files
from modelcensus.lineage.registry import load_registry
from modelcensus.sources.synthetic import generate_hub


def _write_history(folder: Path, n: int = 900, months: int = 2) -> list[Path]:
    """Monthly hub-stats files of one synthetic Hub, named by observation date (as pull --history writes)."""
    hub = generate_hub(n_models=n, seed=3, months=months)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for m in range(hub.months):
        path = folder / f"{hub.observed_at(m):%Y-%m-%d}.parquet"
        pq.write_table(hub.universe.hubstats_table(hub.model_indices(m), hub._grid_month(m)), path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def registry() -> Any:
    return load_registry()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, registry: Any) -> tuple[Path, Any]:
    folder = tmp_path_factory.mktemp("history")
    _write_history(folder)
    return folder, api.build_folder_lineage(folder, registry=registry)


def _rows(path: Path) -> list[tuple]:
    t = pq.read_table(path)
    return sorted(tuple(str(v) for v in r.values()) for r in t.to_pylist())


def test_each_file_equals_the_store_path(built: tuple[Path, Any], registry: Any, tmp_path: Path) -> None:
    folder, res = built
    assert [i.status for i in res.items] == ["built", "built"]
    for item in res.items:
        with api.open_store(tmp_path / f"{item.date}.duckdb") as store:
            api.import_path(store, folder / f"{item.date}.parquet", observed_at=item.date.isoformat())
            snap = store.snapshot(None)
            assert snap.row_count == item.models
            for table in ("origins", "edges"):
                mine = api.export(store, snap.id, "parquet", tmp_path / f"{item.date}.{table}.parquet", table=table,
                                  registry=registry)
                assert _rows(lineage_files(folder, item.date)[table]) == _rows(mine), (item.date, table)
    assert not [p for p in (folder / LINEAGE_DIR).iterdir() if p.name.startswith(".build")]


def test_resumes_and_rebuilds_what_changed(built: tuple[Path, Any], registry: Any) -> None:
    folder, first = built
    again = api.build_folder_lineage(folder, registry=registry)
    assert [i.status for i in again.items] == ["present", "present"]
    assert [i.models for i in again.items] == [i.models for i in first.items]
    # a sidecar from other rules, or a missing table, means the date is built again
    side = lineage_files(folder, first.items[0].date)["sidecar"]
    doc = json.loads(side.read_text())
    side.write_text(json.dumps({**doc, "rules": "older-rules"}))
    lineage_files(folder, first.items[1].date)["edges"].unlink()
    third = api.build_folder_lineage(folder, registry=registry)
    assert [i.status for i in third.items] == ["built", "built"]
    assert json.loads(side.read_text())["rules"] == doc["rules"]


def test_a_bad_file_fails_alone_and_leaves_nothing(tmp_path: Path, registry: Any) -> None:
    good = _write_history(tmp_path, n=300, months=1)[0]
    (tmp_path / "2023-12-31.parquet").write_bytes(b"PAR1 this is not parquet")
    res = api.build_folder_lineage(tmp_path, registry=registry)
    by_date = {str(i.date): i for i in res.items}
    assert by_date["2023-12-31"].status == "failed" and "2023-12-31.parquet" in by_date["2023-12-31"].reason
    assert by_date[good.stem].status == "built"
    left = sorted(p.name for p in (tmp_path / LINEAGE_DIR).iterdir())
    assert left == [f"{good.stem}.edges.parquet", f"{good.stem}.json", f"{good.stem}.origins.parquet"]


def test_command_line(tmp_path: Path) -> None:
    _write_history(tmp_path, n=300, months=1)
    (tmp_path / "2023-12-31.parquet").write_bytes(b"not parquet")
    run = [sys.executable, "-m", "modelcensus", "lineage", "build", "--snapshots", str(tmp_path)]
    r = subprocess.run(run, capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "1 of 2 file(s) failed (2023-12-31" in r.stderr and "Traceback" not in r.stderr
    assert ": built (" in r.stdout
    r = subprocess.run([*run, "--format", "json"], capture_output=True, text=True, check=False)
    doc = json.loads(r.stdout)
    assert [i["status"] for i in doc["items"]] == ["failed", "present"]
    r = subprocess.run([*run, "--engine", "spark"], capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "Spark reads its output" in r.stderr
    r = subprocess.run([sys.executable, "-m", "modelcensus", "lineage", "Qwen/Qwen2-7B", "--snapshots", "x"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2 and "options of `lineage build`" in r.stderr


def test_refuses_spark_and_bad_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Spark reads its output"):
        api.build_folder_lineage(tmp_path, engine="spark")
    with pytest.raises(InputError, match="no YYYY-MM-DD.parquet"):
        api.build_folder_lineage(tmp_path)
