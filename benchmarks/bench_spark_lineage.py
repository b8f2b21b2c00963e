"""Benchmark: a history folder's lineage build on Spark local mode, against DuckDB on the same file in the same run.

    .venv/bin/python benchmarks/bench_spark_lineage.py [--models 300] [--seeds 3,11] [--old-limit 240]
        [--out benchmarks/results/spark_lineage.json]

For each seed, one synthetic hub-stats file (``generate_hub``, one month, as ``tests/lineage/test_folder_build``
writes) is built with ``api.build_folder_lineage`` three ways, all in this one process and session:

- ``duckdb``: the baseline (``--engine duckdb``);
- ``spark``: ``--engine spark`` as shipped (its first build also pays the JVM's warm-up: a second build is
  timed, the first is reported as ``spark_first``);
- ``spark_estimate_kept``: Spark with materialised tables keeping their query's size estimate (the behaviour
  before 3891a72, by replacing ``engine_spark._without_size_estimate`` with the identity). It stops when a
  single statement passes ``--old-limit`` seconds, and is then reported as not finished.

Every statement's time is recorded; for the roots' tables that are rewritten round after round (``_rt_*``
materialised more than twice) each round is listed, so the growth (or not) of the rounds shows. The lineage
files of ``duckdb`` and ``spark`` must hold the same models (the tests
compare every row; this only counts). Results go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import loadavg, machine  # noqa: E402


class _TooSlow(Exception):
    pass


def _write(folder: Path, models: int, seed: int) -> Path:
    import pyarrow.parquet as pq

    from modelcensus.sources.synthetic import generate_hub

    hub = generate_hub(n_models=models, seed=seed, months=1)
    folder.mkdir(parents=True)
    path = folder / f"{hub.observed_at(0):%Y-%m-%d}.parquet"
    pq.write_table(hub.universe.hubstats_table(hub.model_indices(0), hub._grid_month(0)), path)
    return path


def _timed_build(folder: Path, engine: str, limit: float | None, keep_estimate: bool) -> dict[str, Any]:
    """One build; per-statement times from the Spark engine's materialise (DuckDB: the total only)."""
    from modelcensus import api
    from modelcensus.store import engine_spark

    statements: list[tuple[str, float]] = []
    original, rebuild = engine_spark.SparkEngine.materialise, engine_spark._without_size_estimate

    def timed(self: Any, name: str, sql: str) -> None:
        t0 = time.perf_counter()
        original(self, name, sql)
        statements.append((name, time.perf_counter() - t0))
        if limit is not None and statements[-1][1] > limit:
            raise _TooSlow(name)

    engine_spark.SparkEngine.materialise = timed  # type: ignore[method-assign]
    if keep_estimate:
        engine_spark._without_size_estimate = lambda spark, df: df
    t0 = time.perf_counter()
    try:
        res = api.build_folder_lineage(folder, engine=engine, force=True)
        out = {"seconds": round(time.perf_counter() - t0, 2), "finished": True,
               "models": res.items[0].models, "status": res.items[0].status}
    except _TooSlow as exc:
        out = {"seconds": round(time.perf_counter() - t0, 2), "finished": False,
               "stopped_at": f"{exc} took over {limit} s"}
    finally:
        engine_spark.SparkEngine.materialise = original  # type: ignore[method-assign]
        engine_spark._without_size_estimate = rebuild
    rounds: dict[str, list[float]] = defaultdict(list)
    for name, secs in statements:
        if name.startswith("_rt_"):
            rounds[name].append(round(secs, 2))
    loops = {k: v for k, v in rounds.items() if len(v) > 2}  # the loop tables (rewritten round after round)
    out |= {"statements": len(statements), "statement_seconds": round(sum(s for _, s in statements), 2),
            "roots_loop_rounds": loops, "slowest": sorted(statements, key=lambda x: -x[1])[:3]}
    return out


def _commit() -> str | None:
    """The checkout's commit (figures name the code they measured)."""
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", type=int, default=300)
    ap.add_argument("--seeds", default="3,11")
    ap.add_argument("--old-limit", type=float, default=240.0)
    ap.add_argument("--out", type=Path, default=Path("benchmarks/results/spark_lineage.json"))
    args = ap.parse_args()
    from modelcensus.store.engine_spark import spark_available

    why = spark_available()
    if why:
        raise SystemExit(f"Spark is not available here: {why}")
    result: dict[str, Any] = {"benchmark": "lineage build on Spark local mode vs DuckDB", "synthetic": True,
                              "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "machine": machine(), "load_before": loadavg(), "models": args.models,
                              "code": _commit(), "seeds": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            folder = Path(tmp) / f"seed{seed}"
            _write(folder, args.models, seed)
            runs = {"duckdb": _timed_build(folder, "duckdb", None, False),
                    "spark_first": _timed_build(folder, "spark", None, False),
                    "spark": _timed_build(folder, "spark", None, False),
                    "spark_estimate_kept": _timed_build(folder, "spark", args.old_limit, True)}
            base = runs["duckdb"]["seconds"]
            runs["ratios_to_duckdb"] = {k: round(v["seconds"] / base, 1) for k, v in runs.items()
                                        if isinstance(v, dict) and "seconds" in v}
            result["seeds"][str(seed)] = runs
            print(json.dumps({seed: runs}, indent=1), flush=True)
    result["load_after"] = loadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
