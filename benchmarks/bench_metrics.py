"""Metrics benchmark: every metric over a 2.2M-model snapshot and over a 24-snapshot series,
as ratios to one DuckDB scan of the same rows measured in the same run.

    .venv/bin/python benchmarks/bench_metrics.py [--models 2200000] [--series-models 200000]
                                                 [--months 24] [--repeat 1] [--workdir DIR]

Setup (not timed as a metric): the cross-section is written by ``write_hubstats_parquet`` and
imported with ``import_hubstats_parquet``; the series by ``generate_hub`` + ``load_series``; the
lineage of every snapshot is built once with ``ensure_lineage`` (its time is reported beside the
metrics, as a ratio to the same scan, because ``compute_metric`` builds it when missing).

Each measurement runs in its own child process on a read-only store, so its peak resident memory
(VmHWM) is its own. The baseline ("one DuckDB scan of the same data") is one pass over every
``models`` row of the dataset reading the columns the metrics read — snapshot_id, downloads_30d,
downloads_all_time, created_at and the id — aggregated per snapshot (not ``count(*)``, which DuckDB
answers from metadata, and no DISTINCT, which would make the baseline a hash aggregate); a second
reference is the same pass over ``origins``. Ratios to both are reported. Best-of-``repeat`` times.
Writes ``benchmarks/results/metrics.json``. All input is SYNTHETIC.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "metrics.json"
MEMORY_LIMIT = os.environ.get("MC_BENCH_MEMORY_LIMIT", "6GB")  # DuckDB limit for setup and every metric run


def _bound(store: object, workdir: str) -> None:
    """Other work shares this machine: cap DuckDB for the setup's lineage builds and let it spill."""
    con = store.con  # type: ignore[attr-defined]
    for stmt in (f"SET memory_limit = '{MEMORY_LIMIT}'", "SET preserve_insertion_order = false",
                 f"SET temp_directory = '{Path(workdir) / 'duckdb-tmp'}'"):
        con.execute(stmt).fetchall()
REGIONS = HERE.parents[1] / "shared" / "data" / "atom_tracked_models" / "organization_regions.csv"

# (label, metric name, options) run on each dataset
CASES: list[tuple[str, str, dict]] = [
    ("downloads by root_country", "downloads", {"by": "root_country"}),
    ("downloads by org (all-time)", "downloads", {"by": "org", "field": "downloads_all_time"}),
    ("downloads_cumulative by root_country", "downloads_cumulative", {"by": "root_country"}),
    ("downloads_monthly by root_country", "downloads_monthly", {"by": "root_country"}),
    ("derivatives by relation", "derivatives", {}),
    ("derivative_share by family (>5)", "derivative_share", {"min_downloads": 5}),
    ("derivatives credit=parent by org", "derivatives", {"by": "org", "credit": "parent"}),
    ("ram", "ram", {}),
    ("concentration by org", "concentration", {"by": "org"}),
    ("concentration series by root_country", "concentration", {"by": "root_country", "series": True}),
    ("licences by root_country", "licences", {}),
    ("licence_drift by family", "licence_drift", {}),
    ("intermediaries", "intermediaries", {}),
    ("sizes", "sizes", {}),
    ("cadence by org", "cadence", {}),
    ("region_shift (ATOM regions)", "region_shift", {"regions": str(REGIONS)}),
]


SCANS = {
    "models": "SELECT snapshot_id, count(id), sum(downloads_30d), sum(downloads_all_time), min(created_at), "
              "max(created_at), max(id) FROM models GROUP BY snapshot_id",
    "origins": "SELECT snapshot_id, count(model_id), sum(weight), count(root_country), max(model_id) "
               "FROM origins GROUP BY snapshot_id",
}


def measure_scan(db: str, table: str = "models") -> dict:
    """The baseline: one pass over every row of ``table`` reading the columns metrics read, per snapshot."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    con.execute("SET enable_progress_bar = false").fetchall()
    t0 = time.perf_counter()
    rows = con.execute(SCANS[table]).fetchall()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": int(sum(r[1] for r in rows)), "snapshots": len(rows)}


def measure_metric(db: str, name: str, options: dict) -> dict:
    from modelcensus.lineage.registry import load_registry
    from modelcensus.metrics import compute_metric
    from modelcensus.store import Store

    reg = load_registry()
    opts = dict(options)
    by = opts.pop("by", None)
    field = opts.pop("field", None)
    with Store(db, read_only=True) as store:
        store.con.execute("SET enable_progress_bar = false").fetchall()
        store.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'").fetchall()
        t0 = time.perf_counter()
        res = compute_metric(store, name, by=by, field=field, registry=reg, ensure=False, **opts)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": len(res.rows), "synthetic": res.synthetic}


def peak_rss_bytes() -> int:
    """This process's own high-water resident memory (VmHWM; ru_maxrss would carry the parent's over fork+exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(fn: str, *args: object) -> dict:
    code = (f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import bench_metrics as b; "
            f"r = b.{fn}(*{args!r}); r['peak_rss_bytes'] = b.peak_rss_bytes(); print(json.dumps(r, default=str))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{fn}{args} failed:\n{done.stderr[-3000:]}")
    # the last line that is a JSON object (DuckDB may draw a progress bar on stdout before it)
    line = next(ln for ln in reversed(done.stdout.strip().splitlines()) if ln.startswith("{"))
    return json.loads(line)


def build_cross_section(workdir: str, n: int, seed: int) -> dict:
    from modelcensus.lineage import ensure_lineage
    from modelcensus.lineage.registry import load_registry
    from modelcensus.sources.hubstats import import_hubstats_parquet
    from modelcensus.sources.synthetic import write_hubstats_parquet
    from modelcensus.store import Store

    db = Path(workdir) / f"cross-{n}-{seed}.duckdb"
    info: dict = {"db": str(db)}
    with Store(db) as store:
        if not store.snapshots():
            pq_path = Path(workdir) / f"hubstats-{n}-{seed}.parquet"
            t0 = time.perf_counter()
            if not pq_path.exists():
                write_hubstats_parquet(pq_path, n_models=n, seed=seed)
            info["generate_seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            import_hubstats_parquet(store, pq_path)
            info["import_seconds"] = time.perf_counter() - t0
        _bound(store, workdir)
        t0 = time.perf_counter()
        stats = ensure_lineage(store, store.snapshot().id, load_registry())
        if stats.get("built"):
            info["lineage_seconds"] = time.perf_counter() - t0
    return info


def build_series(workdir: str, n: int, months: int, seed: int) -> dict:
    from modelcensus.lineage import ensure_lineage
    from modelcensus.lineage.registry import load_registry
    from modelcensus.sources.synthetic import generate_hub, load_series
    from modelcensus.store import Store

    db = Path(workdir) / f"series-{n}-{months}-{seed}.duckdb"
    info: dict = {"db": str(db)}
    with Store(db) as store:
        if len(store.snapshots()) < months:
            t0 = time.perf_counter()
            load_series(store, generate_hub(n_models=n, seed=seed, months=months))
            info["load_seconds"] = time.perf_counter() - t0
        reg = load_registry()
        _bound(store, workdir)
        t0 = time.perf_counter()
        built = [ensure_lineage(store, s.id, reg).get("built") for s in store.snapshots()]
        if any(built):
            info["lineage_seconds"] = time.perf_counter() - t0
    return info


def run_dataset(label: str, db: str, repeat: int) -> dict:
    scans, oscans, metrics = [], [], {}
    for _ in range(repeat):
        scans.append(_child("measure_scan", db, "models"))
        oscans.append(_child("measure_scan", db, "origins"))
        print(f"[{label}] scan models {scans[-1]['seconds']:.3f} s, origins {oscans[-1]['seconds']:.3f} s",
              file=sys.stderr)
        for case, name, opts in CASES:
            if name == "region_shift" and not REGIONS.is_file():
                continue
            r = _child("measure_metric", db, name, opts)
            metrics.setdefault(case, []).append(r)
            print(f"[{label}] {case}: {r['seconds']:.3f} s, peak {r['peak_rss_bytes'] / 2**20:.0f} MiB",
                  file=sys.stderr)
    scan = min(scans, key=lambda r: r["seconds"])
    oscan = min(oscans, key=lambda r: r["seconds"])
    out = {"scan": scan, "scan_origins": oscan, "metrics": {}}
    for case, runs in metrics.items():
        best = min(runs, key=lambda r: r["seconds"])
        out["metrics"][case] = {**best, "time_ratio_to_scan": best["seconds"] / scan["seconds"],
                                "time_ratio_to_scan_origins": best["seconds"] / oscan["seconds"],
                                "peak_ratio_to_scan": best["peak_rss_bytes"] / scan["peak_rss_bytes"]}
    total = sum(m["seconds"] for m in out["metrics"].values())
    out["all_metrics_seconds"] = total
    out["all_metrics_ratio_to_scan"] = total / scan["seconds"]
    out["all_metrics_ratio_to_scan_origins"] = total / oscan["seconds"]
    out["max_peak_rss_bytes"] = max(m["peak_rss_bytes"] for m in out["metrics"].values())
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=2_200_000)
    ap.add_argument("--series-models", type=int, default=200_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--workdir", type=Path, default=None, help="where generated files and stores go (kept)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mc-bench-metrics-"))
    workdir.mkdir(parents=True, exist_ok=True)
    # setup in child processes too, so this process stays small
    cross_info = _child("build_cross_section", str(workdir), args.models, args.seed)
    series_info = _child("build_series", str(workdir), args.series_models, args.months, args.seed)
    cross_db, series_db = cross_info.pop("db"), series_info.pop("db")
    result = {
        "benchmark": "metrics",
        "synthetic": True,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "baseline": "scan = one pass over every models row reading snapshot_id, downloads_30d, downloads_all_time, "
                    "created_at and id, aggregated per snapshot (not count(*), answered from metadata); "
                    "scan_origins = the same over origins. Ratios to both are reported.",
        "setup_duckdb_memory_limit": MEMORY_LIMIT,
        "cross_section": {"models": args.models, "setup": cross_info, **run_dataset("cross", cross_db, args.repeat)},
        "series": {"models": args.series_models, "snapshots": args.months, "setup": series_info,
                   **run_dataset("series", series_db, args.repeat)},
    }
    for key in ("cross_section", "series"):
        lin = result[key]["setup"].get("lineage_seconds")
        if lin is not None:
            result[key]["setup"]["lineage_ratio_to_scan"] = lin / result[key]["scan"]["seconds"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for key in ("cross_section", "series"):
        r = result[key]
        print(f"{key}: scan {r['scan']['seconds']:.3f} s over {r['scan']['rows']:,} rows (origins "
              f"{r['scan_origins']['seconds']:.3f} s); all metrics {r['all_metrics_seconds']:.1f} s = "
              f"{r['all_metrics_ratio_to_scan']:.0f}x scan, "
              f"{r['all_metrics_ratio_to_scan_origins']:.0f}x origins scan; "
              f"max peak {r['max_peak_rss_bytes'] / 2**30:.2f} GiB")
        for case, m in r["metrics"].items():
            print(f"  {case:40s} {m['seconds']:8.3f} s  {m['time_ratio_to_scan']:8.1f}x  "
                  f"peak {m['peak_rss_bytes'] / 2**20:6.0f} MiB ({m['peak_ratio_to_scan']:.1f}x)")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
