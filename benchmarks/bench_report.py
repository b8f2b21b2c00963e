"""Benchmark: the full HTML census report on a 24-snapshot synthetic series, against one DuckDB scan.

Setup (not timed in the ratio): generate the synthetic hub (H3's generator), import it as monthly
snapshots and build lineage for each (or reuse a store passed with ``--db``). Then, side by side in the
same run and each in a fresh process (so peak RSS, read from VmHWM, is the phase's own):

- ``scan``: the baseline — one pass over every ``models`` row of the series, reading the columns the
  metrics read (snapshot_id, downloads_30d, downloads_all_time, created_at and the id), aggregated per
  snapshot. Not ``count(*)``, which DuckDB answers from metadata;
- ``scan_origins``: the same one pass over ``origins`` (snapshot_id, model_id, weight, root_country) —
  the second table every attribution reads; reported as a second reference, not instead of the first;
- ``join``: the report's core join as one query (models x origins, 30-day downloads per snapshot and
  root country) — the least any attributed metric has to do;
- ``report``: ``build_report(store, fmt="html")`` on a store whose lineage is already built.

Goal (issue 4): the full report within 5x of one scan. Writes benchmarks/results/report.json.

    flock /tmp/modelcensus-bench.lock .venv/bin/python benchmarks/bench_report.py --models 200000 --months 24
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

SCAN_SQL = """
    SELECT snapshot_id, count(id), sum(downloads_30d), sum(downloads_all_time), min(created_at), max(created_at),
           max(id)
    FROM models GROUP BY snapshot_id
"""
SCAN_ORIGINS_SQL = """
    SELECT snapshot_id, count(model_id), sum(weight), count(root_country), max(model_id)
    FROM origins GROUP BY snapshot_id
"""
JOIN_SQL = """
    SELECT m.snapshot_id, o.root_country, sum(o.weight * coalesce(m.downloads_30d, 0)) AS d
    FROM models m JOIN origins o ON o.snapshot_id = m.snapshot_id AND o.model_id = m.id
    GROUP BY ALL
"""
BASELINES = {"scan": SCAN_SQL, "scan_origins": SCAN_ORIGINS_SQL, "join": JOIN_SQL}


def _peak_rss_mb() -> float:
    """This process's own high-water RSS (VmHWM); ru_maxrss would carry the parent's over fork+exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def phase(name: str, db: str, out: str, repeat: int, memory_limit: str) -> dict:
    """Run one phase in this (fresh) process; best-of-``repeat`` time and this process's peak RSS."""
    from modelcensus.store import Store

    times = []
    detail: dict = {}
    if name in BASELINES:
        import duckdb

        con = duckdb.connect(db, read_only=True)
        con.execute(f"SET memory_limit = '{memory_limit}'")
        sql = BASELINES[name]
        for _ in range(repeat):
            t = time.perf_counter()
            rows = con.execute(sql).fetchall()
            times.append(time.perf_counter() - t)
        detail["result_rows"] = len(rows)
        con.close()
    elif name == "report":
        from modelcensus.lineage.registry import load_registry
        from modelcensus.outputs import builder as rep_builder
        from modelcensus.outputs import report as rep

        registry = load_registry()
        per_metric: dict[str, list[float]] = {}
        real = rep_builder._compute

        def timed(store, name, **k):
            t0 = time.perf_counter()
            try:
                return real(store, name, **k)
            finally:
                per_metric.setdefault(f"{name}:{k.get('by')}", []).append(time.perf_counter() - t0)

        rep_builder._compute = timed
        best: dict[str, list[float]] = {}
        for _ in range(repeat):
            per_metric.clear()
            with Store(db) as store:
                store.con.execute(f"SET memory_limit = '{memory_limit}'")
                t = time.perf_counter()
                path = rep.build_report(store, out=out, fmt="html", registry=registry)
                times.append(time.perf_counter() - t)
            if times[-1] == min(times):
                best = {k: list(v) for k, v in per_metric.items()}
        detail.update(
            metric_calls_s=round(sum(sum(v) for v in best.values()), 3),
            metric_breakdown={k: {"calls": len(v), "seconds": round(sum(v), 3)} for k, v in best.items()},
            html_bytes=Path(path).stat().st_size)
    else:
        raise SystemExit(f"unknown phase {name!r}")
    return {"phase": name, "seconds": min(times), "runs": [round(x, 4) for x in times],
            "peak_rss_mb": round(_peak_rss_mb(), 1), **detail}


def _run_phase(name: str, db: Path, out: Path, repeat: int, memory_limit: str) -> dict:
    cmd = [sys.executable, __file__, "--phase", name, "--db", str(db), "--out", str(out), "--repeat", str(repeat),
           "--memory-limit", memory_limit]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"phase {name} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def setup(db: Path, models: int, months: int, seed: int, memory_limit: str) -> dict:
    """Import the hub (in a child process, so its arrays are freed) and build lineage for every snapshot."""
    from modelcensus.lineage import ensure_lineage
    from modelcensus.lineage.registry import load_registry
    from modelcensus.store import Store

    info: dict = {}
    with Store(db) as store:
        present = bool(store.snapshots())
    if not present:
        t = time.perf_counter()
        code = ("import sys; from modelcensus.store import Store; "
                "from modelcensus.sources.synthetic import generate_hub, load_series; "
                f"s = Store(sys.argv[1]); load_series(s, generate_hub(n_models={models}, seed={seed}, "
                f"months={months})); s.close()")
        subprocess.run([sys.executable, "-c", code, str(db)], check=True)
        info["import_s"] = round(time.perf_counter() - t, 2)
    with Store(db) as store:
        store.con.execute(f"SET memory_limit = '{memory_limit}'")
        snaps = store.snapshots()
        registry = load_registry()
        t = time.perf_counter()
        for i, s in enumerate(snaps, start=1):
            ensure_lineage(store, s.id, registry)
            print(f"lineage {i}/{len(snaps)} ({s.row_count:,} models) at {time.perf_counter() - t:.0f} s",
                  file=sys.stderr, flush=True)
        info["lineage_s"] = round(time.perf_counter() - t, 2)
        row = store._one("SELECT count(*), count(DISTINCT id_lower) FROM models")
        info.update(snapshots=len(snaps), model_rows=int(row[0]), distinct_models=int(row[1]),
                    latest_snapshot_rows=snaps[-1].row_count)
        store.con.execute("CHECKPOINT")
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=200_000, help="models ever created in the synthetic hub")
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--db", help="store file (kept; default: a temporary file)")
    ap.add_argument("--out", help="where the HTML report goes")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--memory-limit", default="6GB", help="DuckDB memory_limit for every phase (shared machine)")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--results", default=str(HERE / "results" / "report.json"))
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.db, args.out, args.repeat, args.memory_limit)))
        return
    tmp = Path(tempfile.mkdtemp(prefix="bench_report_"))
    db = Path(args.db) if args.db else tmp / "census.duckdb"
    out = Path(args.out) if args.out else tmp / "report.html"
    info = setup(db, args.models, args.months, args.seed, args.memory_limit)
    scan = _run_phase("scan", db, out, args.repeat, args.memory_limit)
    scan_o = _run_phase("scan_origins", db, out, args.repeat, args.memory_limit)
    join = _run_phase("join", db, out, args.repeat, args.memory_limit)
    report = _run_phase("report", db, out, max(1, args.repeat - 1), args.memory_limit)
    result = {
        "benchmark": "full HTML census report vs one DuckDB scan of the same series",
        "synthetic": True,
        "params": {"models": args.models, "months": args.months, "seed": args.seed,
                   "duckdb_memory_limit": args.memory_limit},
        "data": info,
        "baseline": "scan = one pass over every models row of the series reading snapshot_id, downloads_30d, "
                    "downloads_all_time, created_at and id (not count(*), which DuckDB answers from metadata); "
                    "scan_origins = the same over origins; join = models x origins aggregated per snapshot and "
                    "root country. All three are reported; none is chosen.",
        "scan": scan, "scan_origins": scan_o, "join": join, "report": report,
        "ratio_report_to_scan": round(report["seconds"] / scan["seconds"], 2),
        "ratio_report_to_scan_origins": round(report["seconds"] / scan_o["seconds"], 2),
        "ratio_report_to_join": round(report["seconds"] / join["seconds"], 2),
        "peak_rss_mb_report": report["peak_rss_mb"],
        "peak_rss_ratio_report_to_scan": round(report["peak_rss_mb"] / scan["peak_rss_mb"], 2),
        "goal": "report within 5x of one scan",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    Path(args.results).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
