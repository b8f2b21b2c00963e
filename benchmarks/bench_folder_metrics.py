"""Benchmark: the one-snapshot metrics on ``--snapshots DIR`` against the same metrics on a store, side by side.

    .venv/bin/python benchmarks/bench_folder_metrics.py --folder DIR --store STORE.duckdb [--out FILE]

``DIR`` holds hub-stats ``YYYY-MM-DD.parquet`` files with their lineage built (``lineage build --snapshots``);
``STORE`` holds the same files imported with lineage built, so both paths answer over the same latest file.
Each command is its own CLI process (``run_child``: wall, CPU, peak RSS of the child). Baseline, measured
in the same run: DuckDB reading the importer's columns of the latest file into a table in a fresh process
(``bench_import.measure_read``). The licence, size, drift, intermediary and region metrics on the folder
path make the latest file's store-shaped models rows on the engine first (``make_store_rows``), which the
store path has from its import: the figures say what that costs.
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
REGIONS = HERE.parents[1] / "shared" / "data" / "atom_tracked_models" / "organization_regions.csv"
CASES: list[tuple[str, list[str]]] = [
    ("downloads by publisher_country", ["downloads", "--by", "publisher_country"]),
    ("licences by publisher_country", ["licences", "--by", "publisher_country"]),
    ("licences by root_country", ["licences", "--by", "root_country"]),
    ("sizes", ["sizes"]),
    ("cadence by org", ["cadence", "--by", "org"]),
    ("derivative_share by family", ["derivative_share"]),
    ("licence_drift by family", ["licence_drift"]),
    ("intermediaries", ["intermediaries"]),
    ("region_shift (ATOM regions)", ["region_shift", "-o", f"regions={REGIONS}"]),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", required=True, type=Path)
    ap.add_argument("--store", required=True, type=Path)
    ap.add_argument("--out", type=Path, default=HERE / "results" / "folder_metrics.json")
    args = ap.parse_args()
    latest = sorted(args.folder.glob("*.parquet"))[-1]
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    started, before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), loadavg()
    reads = [run_child("read", [sys.executable, "-c", f"import bench_import, json; from pathlib import Path; "
                                f"print(json.dumps(bench_import.measure_read(Path({str(latest)!r}))))"],
                       env=env, cwd=HERE) for _ in range(2)]
    read = min(reads, key=lambda r: r.seconds)
    print(f"read of {latest.name}: {read.seconds:.2f} s wall, {read.cpu_seconds:.2f} s CPU", flush=True)
    rows = []
    for label, argv in CASES:
        if "region_shift" in label and not REGIONS.is_file():
            continue
        for path, before_args, after_args in (("store", ["--db", str(args.store)], []),
                                              ("folder-duckdb", [], ["--snapshots", str(args.folder)])):
            run = run_child(label, [*MC, *before_args, "metrics", *argv, *after_args, "--format", "json", "--out",
                                    os.devnull], env=env, ok=tuple(range(256)))
            row = {"case": label, "path": path, "returncode": run.returncode, "seconds": round(run.seconds, 2),
                   "cpu_seconds": round(run.cpu_seconds, 2), "peak_rss_gib": round(run.peak_rss_bytes / 2**30, 2),
                   "x_read_wall": round(run.seconds / read.seconds, 1),
                   "stderr": run.stderr.strip().splitlines()[-1:] if run.returncode else []}
            rows.append(row)
            print(json.dumps(row), flush=True)
    doc = {"started": started, "machine": machine(), "load_before": before, "load_after": loadavg(),
           "latest_file": latest.name, "read_seconds": round(read.seconds, 2),
           "read_cpu_seconds": round(read.cpu_seconds, 2), "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1))
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
