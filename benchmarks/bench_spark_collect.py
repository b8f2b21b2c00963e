"""The Spark folder build's last step, collecting its two output tables to the driver and writing them (bd20343).

    .venv/bin/python benchmarks/bench_spark_collect.py --lineage DIR/lineage --date 2024-06-30 [--runs 2]

Reads a built date's ``origins`` and ``edges`` Parquet files (a folder build's output, any engine) back onto a
Spark local session under the build's table names, then collects and writes them as the build does, in a fresh
process per run, alternating:

- ``loop``: the code before bd20343, both tables collected in one loop (the origins stayed referenced while the
  edges were collected);
- ``function``: ``lineage.folder_build._write_output``, one call per table, what the build runs now.

Per run: wall seconds of the collect-and-write step and the driver's Python peak resident memory (VmHWM of the
child; the JVM is its own process and not counted). Results: ``benchmarks/results/spark_collect.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import loadavg, machine, peak_rss_bytes, run_child  # noqa: E402

RESULTS = HERE / "results" / "spark_collect.json"


def task(form: str, lineage: str, day: str, out: str) -> None:
    """One run in this (fresh) process: stage the files, then collect and write them by ``form``."""
    import pyarrow.parquet as pq

    from modelcensus.lineage.build import EDGES_OUT, ORIGINS_OUT
    from modelcensus.lineage.folder_build import _as_table, _table_schemas, _write_output
    from modelcensus.store.engine import open_engine
    from modelcensus.store.export import TABLE_COLUMNS, TABLE_ORDER

    engine = open_engine("spark")
    source = Path(lineage) / f"{day}.origins.parquet"
    for table, name in (("origins", ORIGINS_OUT), ("edges", EDGES_OUT)):
        engine.register_parquet(name, Path(lineage) / f"{day}.{table}.parquet")
    schemas = _table_schemas()
    work = Path(out)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    if form == "loop":  # the code before bd20343, as it was
        for table, name in (("origins", ORIGINS_OUT), ("edges", EDGES_OUT)):
            rows = engine.query(f"SELECT {', '.join(TABLE_COLUMNS[table])} FROM {name} ORDER BY {TABLE_ORDER[table]}")
            meta = {b"modelcensus.lineage": json.dumps({"table": table, "engine": engine.name,
                                                        "source_file": source.name}).encode()}
            pq.write_table(_as_table(rows, schemas[table], table).replace_schema_metadata(meta),
                           work / f"{table}.parquet")
    else:
        for table, name in (("origins", ORIGINS_OUT), ("edges", EDGES_OUT)):
            _write_output(engine, name, table, schemas[table], work / f"{table}.parquet", source)
    seconds = time.perf_counter() - t0
    rows = {t: pq.ParquetFile(work / f"{t}.parquet").metadata.num_rows for t in ("origins", "edges")}
    print(json.dumps({"form": form, "seconds": round(seconds, 2), "python_peak_bytes": peak_rss_bytes(),
                      "rows": rows}))


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--task":
        task(*sys.argv[2:6])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lineage", type=Path, required=True, help="a folder build's lineage/ folder")
    ap.add_argument("--date", required=True, help="the built date (YYYY-MM-DD)")
    ap.add_argument("--runs", type=int, default=2, help="runs of each form, alternating")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/mc-spark-collect"))
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    runs, before = [], loadavg()
    for i in range(args.runs):
        for form in ("loop", "function"):
            run = run_child(form, [sys.executable, __file__, "--task", form, str(args.lineage), args.date,
                                   str(args.workdir / f"{form}-{i}")])
            doc = json.loads(run.stdout.strip().splitlines()[-1])
            runs.append({**doc, "process_seconds": round(run.seconds, 2)})
            print(f"{form:9s} collect+write {doc['seconds']:7.2f} s  python peak "
                  f"{doc['python_peak_bytes'] / 2**30:.3f} GiB  rows {doc['rows']}", flush=True)
    best = {f: min(r["python_peak_bytes"] for r in runs if r["form"] == f) for f in ("loop", "function")}
    result = {"machine": machine(), "load_before": before, "load_after": loadavg(), "lineage": str(args.lineage),
              "date": args.date, "runs": runs,
              "python_peak_ratio_function_to_loop": round(best["function"] / best["loop"], 3)}
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"function / loop Python peak: {result['python_peak_ratio_function_to_loop']}")


if __name__ == "__main__":
    main()
