"""benchmarks/bench_engine_ceiling.py compares like with like: each pandas operation and its SQL form give the
same row count on a small synthetic store (the script refuses to report a ratio otherwise), and the estimate it
prints follows from the ratios it measured."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("_bench_engine_ceiling_t", BENCHMARKS / "bench_engine_ceiling.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "_bench_engine_ceiling_t", module)
    spec.loader.exec_module(module)
    return module


def _synthetic_store(tmp_path: Path, n_models: int, seed: int, *, lineage: bool = False) -> tuple[Path, Path]:
    """A synthetic hub-stats file and the store imported from it (with its lineage built when asked)."""
    from modelcensus import api
    from modelcensus.sources.synthetic import write_hubstats_parquet

    src = tmp_path / "hub.parquet"
    write_hubstats_parquet(src, n_models=n_models, seed=seed)
    db = tmp_path / "store.duckdb"
    with api.open_store(db) as store:
        api.import_path(store, src)
        if lineage:
            api.ensure_lineage(store, store.snapshot().id, api.load_registry())
    return src, db


def test_each_operation_agrees_on_both_engines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("pandas", reason="pandas is in the test extra (pip install -e .[test])")
    bench = _module(monkeypatch)
    _src, db = _synthetic_store(tmp_path, 3000, 7)
    doc = bench.measure(str(db), repeat=1)
    names = [op["operation"] for op in doc["operations"]]
    assert len(names) == len(set(names)) >= 9
    assert doc["models"] == 3000 and doc["declarations"] > 0
    counted = {op["operation"]: op["rows"] for op in doc["operations"]}
    assert counted["lower-case the ids"] == 3000
    assert 0 < counted["resolve declared parents (look-up)"] <= doc["declarations"]
    assert 0 < counted["strongest source per child (sort, first)"] < doc["declarations"]
    for op in doc["operations"]:
        assert op["ratio"] > 0 and op["ratio_1t"] > 0


def test_the_estimate_uses_the_largest_ratio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _module(monkeypatch)
    results = tmp_path / "results"
    results.mkdir()
    (results / "lineage_pandas.json").write_text(
        '{"runs": {"1000": {"baseline": [{"result": {"build_seconds": 30, "stages_seconds": '
        '{"load_duckdb_to_pandas": 1, "names": 10, "tier1": 10, "roots_networkx": 10}}}]}, '
        '"9000": {"baseline": [{"result": {"build_seconds": 1, "stages_seconds": {"roots_networkx": 1}}}]}}}')
    monkeypatch.setattr(bench, "HERE", tmp_path)
    doc = {"models": 1200, "operations": [{"ratio": 2.0}, {"ratio": 5.0}]}
    got = bench.estimate(doc, roots_ratio=50.0)
    # the 1,000-model run is nearer 1,200 than 9,000; its 30 s of build (load left out): 20 s of pandas at 5x
    # and 10 s of networkx at 50x -> 30 / (4 + 0.2)
    assert got == {"baseline_models": 1000, "baseline_build_s": 30, "pandas_stages_s": 20, "networkx_roots_s": 10,
                   "largest_operation_ratio": 5.0, "roots_ratio": 50.0, "whole_build_at_largest_ratio": 7.1}


def test_the_pipeline_floor_writes_what_the_store_path_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _module(monkeypatch)
    src, db = _synthetic_store(tmp_path, 2000, 3, lineage=True)
    work = tmp_path / "work"
    work.mkdir()
    floor = bench.pipeline_floor(str(src), str(db), 2, work)
    assert set(floor["best"]) == {"read", "import_write", "lineage_write"}
    assert all(len(v) == 2 and min(v) > 0 for v in floor["seconds"].values())
    assert list(work.iterdir()) == []  # its store files are removed
    estimated = {"pandas_stages_s": 20.0, "largest_operation_ratio": 5.0, "networkx_roots_s": 10.0, "roots_ratio": 50.0}
    got = bench.floor_ratio({"best": {"read": 1.0, "import_write": 3.0, "lineage_write": 2.0}}, estimated)
    assert got == {"rules_at_largest_ratio_s": 4.2, "floor_s": 9.2, "floor_x_read": 9.2}
    assert bench.floor_ratio(floor, None) is None
