"""Benchmark: the lineage of every snapshot of a store built one after another in ONE process (first builds).

    .venv/bin/python benchmarks/bench_lineage_loop.py --store STORE.duckdb [--work DIR] [--out FILE]

Why: a series metric whose snapshots lack lineage builds them in one process. Before 22ec091 the build left
the look-up indexes' memory (ART_INDEX) held after each commit, and a one-process loop over 24 monthly
snapshots of a hub growing to 2.2M models ran out of DuckDB's 3 GiB at snapshot 21; the build now
checkpoints after its commit. This run checks that by measurement:

1. ``STORE`` (an imported store; it is not changed) is copied to ``--work``; the copy's lineage tables are
   emptied and checkpointed, so every build below is a first build (a forced rebuild drops the indexes
   first and would not show the bug).
2. One child process opens the copy at default memory settings and runs ``api.ensure_lineage`` for every
   snapshot in id order, printing per snapshot: models, wall seconds, the process's peak RSS so far and the
   ART_INDEX memory DuckDB still holds after the build (``duckdb_memory()``).

The baseline is the same build of each snapshot in a fresh process (RESULTS.md, 2026-12-03: 3.35-3.37 GiB at
snapshots 21-24); the check is that no snapshot fails and that index memory does not pile up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import loadavg, machine

CHILD = """
import json, sys, time
from _common import peak_rss_bytes
from modelcensus import api
from modelcensus.api import ensure_lineage, load_registry
from modelcensus.store.store import open_store

getattr(api, "prefer_small_pages", lambda: False)()  # as the command line does at start (code before d1e4ad3: none)
reg = load_registry()
with open_store(sys.argv[1]) as store:
    for snap in sorted(store.snapshots(), key=lambda s: s.id):
        t = time.perf_counter()
        stats = ensure_lineage(store, snap.id, reg)
        wall = time.perf_counter() - t
        art = store.con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
                                "WHERE tag = 'ART_INDEX'").fetchall()[0][0]
        print(json.dumps({"snapshot": snap.id, "models": snap.row_count, "built": stats.get("built", True),
                          "seconds": round(wall, 1), "peak_rss_gib": round(peak_rss_bytes() / 2**30, 2),
                          "art_index_mib": round(art / 2**20, 1)}), flush=True)
"""


def empty_lineage(path: Path) -> None:
    """Every snapshot's lineage rows out of the copy, indexes kept (a store that was imported, never built)."""
    import duckdb

    con = duckdb.connect(str(path))
    try:
        con.execute("SET memory_limit = '3GB'")
        indexes = con.execute("SELECT index_name, sql FROM duckdb_indexes()").fetchall()
        for name, _sql in indexes:
            con.execute(f"DROP INDEX {name}")
        for table in ("edges", "origins", "lineage_builds"):
            con.execute(f"DELETE FROM {table}")
        con.execute("CHECKPOINT")
        for _name, sql in indexes:
            con.execute(sql)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True, type=Path, help="an imported store (copied, not changed)")
    ap.add_argument("--work", type=Path, default=None, help="folder for the copy (default: a temporary one)")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "lineage_loop.json")
    args = ap.parse_args()
    if not args.store.is_file():
        sys.exit(f"--store {args.store}: no such file")
    work = args.work or Path(tempfile.mkdtemp(prefix="mc-loop-"))
    work.mkdir(parents=True, exist_ok=True)
    copy = work / "store.duckdb"
    shutil.copyfile(args.store, copy)
    empty_lineage(copy)
    before, started = loadavg(), time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rows, t = [], time.perf_counter()
    with subprocess.Popen([sys.executable, "-c", CHILD, str(copy)], stdout=subprocess.PIPE, text=True,
                          cwd=Path(__file__).parent) as child:
        assert child.stdout is not None
        for line in child.stdout:
            rows.append(json.loads(line))
            print(line.rstrip(), flush=True)
    total = time.perf_counter() - t
    doc = {"started": started, "machine": machine(), "load_before": before, "load_after": loadavg(),
           "returncode": child.returncode, "seconds": round(total, 1), "snapshots": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=1))
    print(f"exit {child.returncode}; {len(rows)} snapshots in {total:.0f} s; peak "
          f"{max((r['peak_rss_gib'] for r in rows), default=0)} GiB; written to {args.out}")
    shutil.rmtree(work, ignore_errors=True) if args.work is None else None


if __name__ == "__main__":
    main()
