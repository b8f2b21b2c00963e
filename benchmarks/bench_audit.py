"""Audit benchmark: an inventory of 1,000 Hub ids audited from a store holding a 2.2M-model
snapshot, as ratios to the same number of plain ``origin`` look-ups measured in the same run.

    .venv/bin/python benchmarks/bench_audit.py [--models 2200000] [--ids 1000] [--repeat 2] [--workdir DIR]

Setup (timed, not the headline): ``write_hubstats_parquet`` writes the snapshot, ``import_hubstats_parquet``
imports it, ``ensure_lineage`` builds its edges and origins. A ``--workdir`` that already holds the store
is reused. The ids are a seeded sample of the snapshot (so a mix of roots, fine-tunes, quantizations,
merges, dangling parents), written as a text inventory.

Each measurement runs in its own child process on the same store, so its peak resident memory
(``ru_maxrss``) is its own and the page cache is equally warm for both:
- baseline: ``origin(store, id)`` for every id;
- audit: ``audit([], inventory=..., policy="no-prc-roots")`` (parse, dossier, flags, licence chain,
  verdict), and separately the JSON and CycloneDX rendering of that report.
Best-of-``repeat`` times are the headline ratio; the ratio of medians is reported beside it
(the machine is shared, so single runs swing by 1.5x). Writes ``benchmarks/results/audit.json``. All input is SYNTHETIC.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "audit.json"
MEMORY_LIMIT = os.environ.get("BENCH_DUCKDB_MEMORY", "6GB")


def _rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries that across fork+exec, so a child
    would report the parent's peak from the setup."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cap(store) -> None:
    store.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'").fetchall()


def child_origin(db: str, inv: str) -> dict:
    from modelcensus.lineage import origin
    from modelcensus.lineage.registry import load_registry
    from modelcensus.store import Store

    reg = load_registry()
    ids = [line.strip().split("@")[0] for line in Path(inv).read_text().splitlines() if line.strip()]
    with Store(db) as store:
        _cap(store)
        origin(store, ids[0], registry=reg)  # warm: lineage-built check, connection
        base_rss = _rss_mb()
        t0 = time.perf_counter()
        roots = 0
        for mid in ids:
            roots += len(origin(store, mid, registry=reg)["roots"])
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "models": len(ids), "roots": roots, "rss_before_mb": base_rss,
            "peak_rss_mb": _rss_mb()}


def child_audit(db: str, inv: str) -> dict:
    from modelcensus.audit import audit
    from modelcensus.audit.render import render_text
    from modelcensus.lineage import origin
    from modelcensus.lineage.registry import load_registry
    from modelcensus.store import Store

    reg = load_registry()
    first = next(line.strip().split("@")[0] for line in Path(inv).read_text().splitlines() if line.strip())
    with Store(db) as store:
        _cap(store)
        origin(store, first, registry=reg)  # the same warm-up as the baseline
        base_rss = _rss_mb()
        t0 = time.perf_counter()
        report = audit([], inventory=inv, store=store, registry=reg, policy="no-prc-roots")
        seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    js = render_text(report, "json")
    t2 = time.perf_counter()
    bom = render_text(report, "cyclonedx")
    t3 = time.perf_counter()
    return {"seconds": seconds, "models": len(report.dossiers), "errors": len(report.errors),
            "counts": report.counts, "synthetic": report.synthetic,
            "flags": sum(len(d.flags) for d in report.dossiers),
            "json_seconds": t2 - t1, "json_bytes": len(js), "cyclonedx_seconds": t3 - t2, "cyclonedx_bytes": len(bom),
            "rss_before_mb": base_rss, "peak_rss_mb": _rss_mb()}


def _run_child(kind: str, db: str, inv: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", kind, "--db", db, "--inventory", inv],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"child {kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def setup(workdir: Path, n_models: int) -> tuple[str, dict]:
    """Build (or reuse) the store: synthetic hub-stats Parquet -> import -> lineage."""
    from modelcensus.lineage import ensure_lineage
    from modelcensus.lineage.registry import load_registry
    from modelcensus.sources.hubstats import import_hubstats_parquet
    from modelcensus.sources.synthetic import write_hubstats_parquet
    from modelcensus.store import Store

    db = workdir / f"audit-bench-{n_models}.duckdb"
    info: dict = {"reused_store": db.exists()}
    reg = load_registry()
    with Store(db) as store:
        # other work shares this machine: cap DuckDB (default 80% of RAM) and let it spill
        store.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'").fetchall()
        store.con.execute(f"SET temp_directory = '{workdir / 'duckdb-tmp'}'").fetchall()
        info["duckdb_memory_limit"] = MEMORY_LIMIT
        if not store.snapshots():
            pq = workdir / f"hubstats-{n_models}.parquet"
            t0 = time.perf_counter()
            write_hubstats_parquet(pq, n_models=n_models, seed=7)
            info["write_parquet_seconds"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            import_hubstats_parquet(store, pq)
            info["import_seconds"] = time.perf_counter() - t0
            pq.unlink()
        snap = store.snapshot()
        t0 = time.perf_counter()
        ensure_lineage(store, snap.id, reg)
        info["lineage_seconds"] = time.perf_counter() - t0
        info["snapshot"] = snap.as_dict()
        info["edges"] = store._one("SELECT count(*) FROM edges WHERE snapshot_id = ?", [snap.id])[0]
    return str(db), info


def sample_inventory(db: str, n_ids: int, path: Path, seed: int = 11) -> dict:
    """A seeded sample of ids, half of them pinned to their stored sha (an inventory as teams write it)."""
    import duckdb

    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT id, sha FROM models WHERE snapshot_id = (SELECT max(id) FROM snapshots) "
                       "ORDER BY hash(id || ?) LIMIT ?", [str(seed), n_ids]).fetchall()
    with_parent = con.execute("SELECT count(DISTINCT child_id) FROM edges WHERE list_contains(?, child_id)",
                              [[r[0] for r in rows]]).fetchall()[0][0]
    con.close()
    rng = random.Random(seed)
    lines = [f"{mid}@{sha}" if sha and rng.random() < 0.5 else mid for mid, sha in rows]
    path.write_text("\n".join(lines) + "\n")
    return {"ids": len(rows), "with_parent": int(with_parent), "pinned": sum("@" in x for x in lines)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=2_200_000)
    ap.add_argument("--ids", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--child", choices=("origin", "audit"))
    ap.add_argument("--db")
    ap.add_argument("--inventory")
    args = ap.parse_args()
    if args.child:
        fn = child_origin if args.child == "origin" else child_audit
        print(json.dumps(fn(args.db, args.inventory)))
        return
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-audit-"))
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    db, setup_info = setup(workdir, args.models)
    setup_info["setup_seconds"] = time.perf_counter() - t0
    inv = workdir / "inventory.txt"
    sample = sample_inventory(db, args.ids, inv)
    runs: dict[str, list[dict]] = {"origin": [], "audit": []}
    for _ in range(args.repeat):  # interleaved, so both see the same machine load
        runs["origin"].append(_run_child("origin", db, str(inv)))
        runs["audit"].append(_run_child("audit", db, str(inv)))
    best = {k: min(v, key=lambda r: r["seconds"]) for k, v in runs.items()}
    o, a = best["origin"], best["audit"]
    result = {
        "benchmark": "audit of an inventory of Hub ids vs plain origin look-ups",
        "synthetic": True,
        "models_in_snapshot": args.models,
        "inventory": sample,
        "setup": setup_info,
        "origin": {**o, "ms_per_model": 1000 * o["seconds"] / o["models"]},
        "audit": {**a, "ms_per_model": 1000 * a["seconds"] / max(a["models"], 1)},
        "ratios": {"time_audit_over_origin": a["seconds"] / o["seconds"],
                   "time_audit_over_origin_median": statistics.median(r["seconds"] for r in runs["audit"])
                   / statistics.median(r["seconds"] for r in runs["origin"]),
                   "peak_rss_audit_over_origin": a["peak_rss_mb"] / o["peak_rss_mb"]},
        "all_runs": runs,
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "repeat": args.repeat,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps({k: result[k] for k in ("inventory", "origin", "audit", "ratios")}, indent=2, default=str))


if __name__ == "__main__":
    main()
