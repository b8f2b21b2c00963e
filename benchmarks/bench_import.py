"""Import benchmark: a 2.2M-row hub-stats Parquet, against DuckDB reading the same columns.

    .venv/bin/python benchmarks/bench_import.py [--models 2200000] [--repeat 2] [--keep]

Measured side by side in one run, each measurement in its own child process so that its peak
resident memory (``VmHWM`` of /proc/self/status; ``ru_maxrss`` survives exec and would include the
parent's generator) is its own. Wall time is the headline; CPU time (user + system, all threads) is
recorded too, because on a shared machine it is far less sensitive to the other jobs:

(a) baseline: DuckDB reads the columns the importer uses from the same file into a temp table
    (``CREATE TEMP TABLE AS SELECT ... FROM read_parquet``), in a fresh in-memory database, with the
    same bulk setting the importer uses (``preserve_insertion_order = false``);
(b) ``import_hubstats_parquet`` into a fresh on-disk store (validation, derived fields,
    declarations, commit);
(c) a floor for context: the same file's columns inserted as they are into the store's ``models``
    table of a fresh store (no validation, no derived fields, no declarations), and committed.

Measurements alternate a, b, c, a, b, c ... and the best time of each is compared. Writes
``benchmarks/results/import.json`` and prints a table. Goal: (b)/(a) <= 2, peak < 4 GB.
The input is SYNTHETIC (``modelcensus.sources.synthetic.write_hubstats_parquet``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "import.json"
GOAL_RATIO = 2.0
GOAL_PEAK_BYTES = 4 * 1024**3


def _read_columns(path: Path) -> list[str]:
    """The file's columns that the importer reads (the same columns for both measurements)."""
    import pyarrow.parquet as pq

    used = {"id", "modelId", "author", "createdAt", "created_at", "lastModified", "last_modified", "downloads",
            "downloadsAllTime", "likes", "trendingScore", "pipeline_tag", "library_name", "tags", "cardData",
            "baseModels", "safetensors", "gguf", "config", "gated", "private", "disabled", "sha", "siblings",
            "license"}
    return [n for n in pq.read_schema(path).names if n in used]


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def peak_rss_bytes() -> int:
    """This process's own high-water mark (VmHWM), not inherited across exec like ru_maxrss."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_read(path: Path) -> dict:
    import duckdb

    cols = ", ".join(f'"{c}"' for c in _read_columns(path))
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    t0, c0 = time.perf_counter(), _cpu()
    con.execute(f"CREATE TEMP TABLE t AS SELECT {cols} FROM read_parquet('{path}')")
    rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    return {"seconds": time.perf_counter() - t0, "cpu_seconds": _cpu() - c0, "rows": rows}


def measure_import(path: Path, workdir: Path) -> dict:
    from modelcensus.sources.hubstats import import_hubstats_parquet
    from modelcensus.store import Store

    db = workdir / f"bench-{os.getpid()}.duckdb"
    with Store(db) as store:  # opening and migrating an empty store is not part of the import
        t0, c0 = time.perf_counter(), _cpu()
        res = import_hubstats_parquet(store, path)
        seconds, cpu = time.perf_counter() - t0, _cpu() - c0
        out = {"seconds": seconds, "cpu_seconds": cpu,
               "memory_limit": store._one("SELECT current_setting('memory_limit')")[0],
               "rows": res.snapshot.row_count, "skipped": res.snapshot.skipped_count,
               "synthetic": res.snapshot.synthetic,
               "declarations": store._one("SELECT count(*) FROM declarations")[0]}
    out["store_bytes"] = db.stat().st_size
    db.unlink()
    return out


def measure_floor(path: Path, workdir: Path) -> dict:
    from modelcensus.sources import hubstats as h
    from modelcensus.store import Store

    db = workdir / f"floor-{os.getpid()}.duckdb"
    with Store(db) as store:
        cols = h.describe_file(store, path)
        src = f"read_parquet('{path}')"
        sql = f"""
        INSERT INTO models (snapshot_id, id, id_lower, author, created_at, last_modified, downloads_30d,
                            downloads_all_time, likes, trending_score, pipeline_tag, library_name, tags, params,
                            gated, private, disabled, sha, config, gguf, card_data)
        SELECT 1, id, lower(id), {h._scalar(cols, 'author')}, {cols.find('createdAt') or 'NULL'},
               {cols.find('lastModified') or 'NULL'}, {h._number(cols, 'downloads')},
               {h._number(cols, 'downloadsAllTime')}, {h._number(cols, 'likes')}, {h._number(cols, 'trendingScore')},
               {h._scalar(cols, 'pipeline_tag')}, {h._scalar(cols, 'library_name')}, {h._str_list(cols, 'tags')},
               {h._safetensors_total(cols)}, {h._scalar(cols, 'gated')}, {h._scalar(cols, 'private')},
               {h._scalar(cols, 'disabled')}, {h._scalar(cols, 'sha')}, {h._json_text(cols, 'config')},
               {h._json_text(cols, 'gguf')}, {h._json_text(cols, 'cardData')}
        FROM {src}"""
        t0, c0 = time.perf_counter(), _cpu()
        with store.transaction(), store.bulk_load():
            store.con.execute(sql).fetchall()
        seconds, cpu = time.perf_counter() - t0, _cpu() - c0
        rows = store._one("SELECT count(*) FROM models")[0]
    db.unlink()
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": rows}


def _child(kind: str, path: Path, workdir: Path) -> dict:
    """Run one measurement in a fresh interpreter; returns its result with its own peak RSS."""
    code = (f"import json, resource, sys; sys.path.insert(0, {str(HERE)!r}); import bench_import as b; "
            f"from pathlib import Path; "
            f"r = b.measure_{kind}(Path({str(path)!r})" + (f", Path({str(workdir)!r}))" if kind != "read" else ")")
            + "; r['peak_rss_bytes'] = b.peak_rss_bytes(); print(json.dumps(r))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} measurement failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=2_200_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=None, help="where the generated file and stores go")
    ap.add_argument("--keep", action="store_true", help="keep the generated Parquet for the next run")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    from modelcensus.sources.synthetic import write_hubstats_parquet

    load_at_start = os.getloadavg()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mc-bench-import-"))
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"hubstats-synthetic-{args.models}-{args.seed}.parquet"
    t0 = time.perf_counter()
    generated_now = not path.exists()
    if generated_now:
        write_hubstats_parquet(path, n_models=args.models, seed=args.seed)
    gen_seconds = time.perf_counter() - t0

    runs: dict[str, list[dict]] = {"read": [], "import": [], "floor": []}
    for _ in range(args.repeat):
        for kind in ("read", "import", "floor"):
            runs[kind].append(_child(kind, path, workdir))
            last = runs[kind][-1]
            print(f"  {kind:6s} {last['seconds']:7.2f} s  peak {last['peak_rss_bytes'] / 2**20:7.0f} MiB",
                  file=sys.stderr)
    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in runs.items()}
    n = best["import"]["rows"]
    ratio = best["import"]["seconds"] / best["read"]["seconds"]
    peak = max(r["peak_rss_bytes"] for r in runs["import"])
    result = {
        "benchmark": "import hub-stats parquet",
        "synthetic": True,
        "input": {"models": args.models, "seed": args.seed, "file_bytes": path.stat().st_size,
                  "columns": _read_columns(path), "generated_now": generated_now,
                  "generate_seconds": round(gen_seconds, 2) if generated_now else None},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg_at_start": load_at_start, "load_avg_at_end": os.getloadavg(),
                    "memory_limit_env": os.environ.get("MODELCENSUS_MEMORY_LIMIT")},
        "baseline_read": {"what": "DuckDB CREATE TEMP TABLE AS SELECT <same columns> FROM read_parquet "
                                  "(in-memory database, preserve_insertion_order=false)",
                          "seconds": [round(r["seconds"], 3) for r in runs["read"]],
                          "cpu_seconds": [round(r["cpu_seconds"], 3) for r in runs["read"]],
                          "best_seconds": round(best["read"]["seconds"], 3),
                          "rows_per_second": round(best["read"]["rows"] / best["read"]["seconds"]),
                          "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs["read"])},
        "import": {"what": "import_hubstats_parquet into a fresh on-disk store (validate, derive, commit)",
                   "seconds": [round(r["seconds"], 3) for r in runs["import"]],
                   "cpu_seconds": [round(r["cpu_seconds"], 3) for r in runs["import"]],
                   "duckdb_memory_limit": best["import"]["memory_limit"],
                   "best_seconds": round(best["import"]["seconds"], 3),
                   "rows": n, "skipped": best["import"]["skipped"],
                   "declarations": best["import"]["declarations"],
                   "rows_per_second": round(n / best["import"]["seconds"]),
                   "peak_rss_bytes": peak, "store_bytes": best["import"]["store_bytes"]},
        "floor_store_insert": {
            "what": "the file's columns inserted as they are into the store's models table, committed "
                    "(no validation, derivation or declarations): what persisting the rows alone costs",
            "seconds": [round(r["seconds"], 3) for r in runs["floor"]],
            "cpu_seconds": [round(r["cpu_seconds"], 3) for r in runs["floor"]],
            "best_seconds": round(best["floor"]["seconds"], 3),
            "rows_per_second": round(best["floor"]["rows"] / best["floor"]["seconds"]),
            "peak_rss_bytes": max(r["peak_rss_bytes"] for r in runs["floor"])},
        "ratio_import_to_read": round(ratio, 2),
        "ratio_import_to_read_cpu": round(min(r["cpu_seconds"] for r in runs["import"])
                                          / min(r["cpu_seconds"] for r in runs["read"]), 2),
        "ratio_floor_to_read": round(best["floor"]["seconds"] / best["read"]["seconds"], 2),
        "ratio_import_to_floor": round(best["import"]["seconds"] / best["floor"]["seconds"], 2),
        "goal": {"ratio_max": GOAL_RATIO, "peak_max_bytes": GOAL_PEAK_BYTES,
                 "ratio_met": ratio <= GOAL_RATIO, "peak_met": peak < GOAL_PEAK_BYTES},
        "repeat": args.repeat,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    if not args.keep:
        path.unlink()

    print(f"SYNTHETIC input: {args.models:,} models ({result['input']['file_bytes'] / 2**20:.0f} MiB Parquet)")
    print(f"{'measurement':38s} {'best s':>8s} {'rows/s':>12s} {'peak MiB':>9s}")
    for label, key in (("(a) DuckDB read, same columns", "baseline_read"), ("(b) import_hubstats_parquet", "import"),
                       ("(c) floor: plain insert into store", "floor_store_insert")):
        r = result[key]
        print(f"{label:38s} {r['best_seconds']:8.2f} {r['rows_per_second']:12,d} {r['peak_rss_bytes'] / 2**20:9.0f}")
    print(f"ratio (b)/(a): {ratio:.2f} (goal <= {GOAL_RATIO}); import peak {peak / 2**30:.2f} GiB (goal < 4)")
    print(f"CPU-time ratio (b)/(a): {result['ratio_import_to_read_cpu']:.2f}; load average at start "
          f"{load_at_start[0]:.2f}, at end {result['machine']['load_avg_at_end'][0]:.2f}")
    print(f"context: (c)/(a) = {result['ratio_floor_to_read']:.2f}, (b)/(c) = {result['ratio_import_to_floor']:.2f}")
    print(f"written: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
