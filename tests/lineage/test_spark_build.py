"""The whole lineage build runs on Spark with the same result as on DuckDB, statement by statement.

Every query file of the build (edges, declared, inferred, family, roots, origins) is transpiled to Spark
SQL and run on Spark local mode beside DuckDB by ``tests/support/engine_diff.DiffEngine``; every table
and every query result must be equal. Two populations: the synthetic Hub (all rule shapes, loop rounds)
and the real cards, configs and trees of the lineage benchmark (real JSON, real names).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from engine_diff import DiffEngine

from modelcensus import api
from modelcensus.lineage.build import EDGES_OUT, ORIGINS_OUT, build_tables
from modelcensus.sources.synthetic import write_hubstats_parquet
from modelcensus.store.engine_duckdb import DuckDBEngine

ROOT = Path(__file__).resolve().parents[2]


def _inputs(db: Path) -> tuple[int, Any, Any]:
    with api.open_store(db) as store:
        sid = max(s.id for s in store.snapshots())
        models, decls = (store.con.sql(f"SELECT * FROM {t} WHERE snapshot_id = {sid}").to_arrow_table()
                         for t in ("models", "declarations"))
    return sid, models, decls


def _synthetic(tmp: Path) -> Path:
    hub, db = tmp / "hub.parquet", tmp / "hub.duckdb"
    write_hubstats_parquet(hub, n_models=1200, seed=11)
    with api.open_store(db) as store:
        api.import_path(store, hub, source="hub-stats", observed_at="2025-06-30")
    return db


def _real(tmp: Path, shared_data: Path) -> Path:
    sys.path[:0] = [str(ROOT / "benchmarks" / "lineage_truth")]
    try:
        import records
        import score
    finally:
        del sys.path[0]
    truth = ROOT / "benchmarks" / "lineage_truth"
    labels = [*score.read_labels(truth / "labels.csv"), *score.read_labels(truth / "heldout_labels.csv")]
    data, db = tmp / "truth.jsonl", tmp / "truth.duckdb"
    with data.open("w", encoding="utf-8") as fh:
        for rec in records.benchmark_records(shared_data, labels):
            fh.write(json.dumps(rec, default=str, ensure_ascii=False) + "\n")
    with api.open_store(db) as store:
        api.import_path(store, data, source="lineage-truth", observed_at="2025-04-30")
    return db


# the synthetic Hub is built on Spark end to end by test_folder_build.py::test_spark_builds_the_same_files; run
# with "synthetic" by hand for its statement-by-statement diff (a few minutes)
@pytest.mark.parametrize("population", ["real"])
def test_every_statement_of_the_build_is_equal_on_spark_and_duckdb(population: str, tmp_path: Path,
                                                                    request: pytest.FixtureRequest) -> None:
    spark = request.getfixturevalue("spark_engine")
    db = _synthetic(tmp_path) if population == "synthetic" else _real(tmp_path, request.getfixturevalue("shared_data"))
    sid, models, decls = _inputs(db)
    engine = DiffEngine(DuckDBEngine(), spark)
    try:
        engine.register_arrow("models", models)
        engine.register_arrow("declarations", decls)
        stats = build_tables(engine, sid, api.load_registry())
        out = {t: engine.duck.query(f"SELECT count(*) AS n FROM {t}").column(0)[0].as_py()
               for t in (EDGES_OUT, ORIGINS_OUT)}
    finally:
        for name in ("models", "declarations", EDGES_OUT, ORIGINS_OUT):
            spark.drop(name)
        engine.close()
    assert not engine.differences, "\n".join(str(d) for d in engine.differences)
    assert engine.statements > 100  # the whole build ran through the diff, loops included
    assert out[ORIGINS_OUT] >= stats["models"] > 500 and out[EDGES_OUT] > 500
