"""Benchmark: ATOM's RAM over a history folder and over a store holding the same files, side by side.

    .venv/bin/python benchmarks/bench_ram.py --folder DIR --store STORE.duckdb [--spark] [--compare-src SRC]
                                             [--out FILE]

``DIR`` holds hub-stats ``YYYY-MM-DD.parquet`` files with their lineage built (``lineage build --snapshots``,
needed by the keyed case); ``STORE`` (optional) holds the same files imported, lineage built; ``--case``
picks cases. RAM reads every file (a
series), so the baseline is DuckDB reading the importer's columns of every file into one table in a fresh
process, measured twice in the same run (best kept). Each case is its own CLI process (``run_child``: wall,
CPU, peak RSS of the process tree, which counts Spark's JVM). ``--compare-src`` times the store path of
another checkout's ``src`` beside this one (e.g. the commit before a change to RAM's SQL).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from _common import loadavg, machine, run_child

HERE = Path(__file__).resolve().parent
MC = [sys.executable, "-m", "modelcensus"]
CASES: list[tuple[str, list[str]]] = [
    ("ram", ["ram"]),
    ("ram by org, latest", ["ram", "--by", "org", "-o", "latest=true"]),
]


def measure_read_all(paths: list[Path]) -> dict:
    """DuckDB reading the importer's columns of every file into one table (bench_import's read, over the folder)."""
    import duckdb

    from bench_import import _read_columns

    cols = ", ".join(f'"{c}"' for c in _read_columns(paths[0]))
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SET enable_progress_bar = false")  # a long read prints a bar on stdout, which carries the JSON
    t0 = time.perf_counter()
    con.execute(f"CREATE TEMP TABLE t AS SELECT {cols} FROM read_parquet(?)", [[str(p) for p in paths]])
    rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    return {"seconds": time.perf_counter() - t0, "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", required=True, type=Path)
    ap.add_argument("--store", type=Path, help="the same files imported (without it: the folder paths only)")
    ap.add_argument("--case", action="append", choices=[c for c, _ in CASES], help="only these cases (repeatable)")
    ap.add_argument("--spark", action="store_true", help="also the folder on Spark local mode")
    ap.add_argument("--compare-src", type=Path, help="another checkout's src: its store path timed beside this one")
    ap.add_argument("--limit", type=int, help="-o limit=N for every case (default: the metric's, 10,000 rows per age; "
                                               "0 = all rows, whose output then dominates the time)")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "ram.json")
    args = ap.parse_args()
    files = sorted(args.folder.glob("*.parquet"))
    srcs = {"": HERE.parent / "src", **({" (compare-src)": args.compare_src} if args.compare_src else {})}
    envs = {k: {**os.environ, "PYTHONPATH": str(v) + os.pathsep + str(HERE)} for k, v in srcs.items()}
    started, before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), loadavg()
    listed = [str(f) for f in files]
    reads = [run_child("read", [sys.executable, "-c", "import bench_ram, json; from pathlib import Path; print(json."
                                f"dumps(bench_ram.measure_read_all([Path(p) for p in {listed!r}])))"],
                       env=envs[""], cwd=HERE) for _ in range(2)]
    read = min(reads, key=lambda r: r.seconds)
    rows_read = json.loads(read.stdout.strip().splitlines()[-1])["rows"]
    print(f"read of {len(files)} files ({rows_read:,} rows): {read.seconds:.2f} s wall", flush=True)
    paths = [("store" + k, envs[k], ["--db", str(args.store)], []) for k in envs] if args.store else []
    paths.append(("folder-duckdb", envs[""], [], ["--snapshots", str(args.folder)]))
    if args.spark:
        paths.append(("folder-spark", envs[""], [], ["--snapshots", str(args.folder), "--engine", "spark"]))
    rows = []
    for label, argv in CASES:
        if args.case and label not in args.case:
            continue
        for path, env, before_args, after_args in paths:
            out = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-ram-{os.getpid()}.json"
            limit = [] if args.limit is None else ["-o", f"limit={args.limit}"]
            run = run_child(label, [*MC, *before_args, "metrics", *argv, *after_args, *limit, "--format", "json",
                                    "--out", str(out)], env=env, ok=tuple(range(256)))
            got = json.loads(out.read_text()) if run.returncode == 0 else {}
            out.unlink(missing_ok=True)
            row = {"case": label, "path": path, "returncode": run.returncode, "seconds": round(run.seconds, 2),
                   "cpu_seconds": round(run.cpu_seconds, 2),
                   "peak_rss_gib": round(max(run.peak_rss_bytes, run.tree_peak_rss_bytes or 0) / 2**30, 2),
                   "x_read_wall": round(run.seconds / read.seconds, 1), "result_rows": len(got.get("rows", [])),
                   "stderr": run.stderr.strip().splitlines()[-1:] if run.returncode else []}
            rows.append(row)
            print(json.dumps(row), flush=True)
    doc = {"started": started, "machine": machine(), "load_before": before, "load_after": loadavg(),
           "files": len(files), "rows_read": rows_read, "limit": args.limit, "read_seconds": round(read.seconds, 2),
           "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
