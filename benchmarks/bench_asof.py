"""As-of census benchmark: what coverage and as-of assembly add to a metric's time (issue 8).

    flock /tmp/modelcensus-bench.lock .venv/bin/python benchmarks/bench_asof.py [--models 200000] [--months 24]
                                                                      [--partials 100] [--repeat 5]

Setup (not timed): a SYNTHETIC hub (``generate_hub``) of ``--models`` models observed at ``--months`` month
ends, each month imported as a full snapshot, plus ``--partials`` partial crawls (an author slice of about
1 % of a month's models, observed 5-25 days after that month's end, scope ``partial`` with an author filter),
spread over the months so that the last full snapshot is followed by a few of them. Lineage is built once for
the snapshots the census uses. A curated population of 2,000 ids (1,500 sampled from the last full snapshot,
500 absent) exercises the "N of M present" path.

Measured side by side in one process, alternating, best of ``--repeat``:

(a) baseline: the metric on the last full snapshot (the same size as the census), as computed before
    issue 8: scope, the metric's SQL, nothing else (no coverage);
(b) the same metric through ``compute_metric(..., as_of=DATE)``: the census (backbone + the partial crawls
    after it, chosen per model in SQL), the metric, coverage and warnings;
(c) context: ``compute_metric`` on the last full snapshot (the metric + coverage, no assembly).

Goal: (b)/(a) <= 1.20. Writes ``benchmarks/results/asof.json`` and prints a table. All input is SYNTHETIC.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "asof.json"
GOAL = 1.20

CASES: list[tuple[str, str, dict]] = [
    ("downloads by root_country", "downloads", {"by": "root_country"}),
    ("downloads by org, population llm", "downloads", {"by": "org", "population": "llm"}),
    ("downloads by root_country, curated list", "downloads", {"by": "root_country", "population": "bench-list"}),
    ("licences by root_country", "licences", {"by": "root_country"}),
    ("concentration by org", "concentration", {"by": "org"}),
]


def setup(store, n_models: int, months: int, partials: int, seed: int = 11) -> dict:  # noqa: ANN001
    """Import the full months and the partial crawls; returns what the timed runs need."""
    from modelcensus.sources.synthetic import generate_hub
    from modelcensus.store import SnapshotMeta

    hub = generate_hub(n_models=n_models, seed=seed, months=months)
    rng = np.random.default_rng(seed)
    per_month = [partials // months + (1 if m >= months - partials % months else 0) for m in range(months)]
    t0 = time.perf_counter()
    last_fp = f"bench-partial-{seed}-{months - 1}-{per_month[-1] - 1}"
    if store.find_fingerprint(last_fp) is not None:  # --workdir of an earlier run: reuse its snapshots
        _bench_list(store, store.find_fingerprint(hub.fingerprint(months - 1)).id)
        full_ids = [store.find_fingerprint(hub.fingerprint(m)).id for m in range(months)]
        partial_ids = [store.find_fingerprint(f"bench-partial-{seed}-{m}-{j}").id
                       for m in range(months) for j in range(per_month[m])]
        return {"full": full_ids, "partials": partial_ids, "reused": True,
                "as_of": (hub.observed_at(months - 1) + timedelta(days=25)).isoformat(), "import_s": 0.0,
                "last_full": full_ids[-1], "partials_after_last_full": per_month[-1]}
    full_ids, partial_ids = [], []
    for m in range(months):
        table = hub.staging_table(m)
        obs = hub.observed_at(m)
        meta = SnapshotMeta(source="synthetic", observed_at=obs, source_ref=hub.source_ref,
                            fingerprint=hub.fingerprint(m), synthetic=True, scope="full")
        full_ids.append(store.import_tables(meta, [table]).snapshot.id)
        authors = pc.unique(table["author"]).drop_null().to_pylist()
        for j in range(per_month[m]):
            # an author crawl: enough authors to hold about 1 % of the month's models
            picked = list(rng.choice(authors, size=max(1, len(authors) // 100), replace=False))
            part = table.filter(pc.is_in(table["author"], value_set=pa.array(picked)))
            meta = SnapshotMeta(source="hub-api", observed_at=obs + timedelta(days=5 * (j + 1)),
                                source_ref=f"bench partial {m}/{j}", fingerprint=f"bench-partial-{seed}-{m}-{j}",
                                synthetic=True, scope="partial", filter={"author": sorted(picked)[:50]})
            partial_ids.append(store.import_tables(meta, [part]).snapshot.id)
    last = hub.observed_at(months - 1)
    _bench_list(store, full_ids[-1])
    return {"full": full_ids, "partials": partial_ids, "as_of": (last + timedelta(days=25)).isoformat(),
            "import_s": round(time.perf_counter() - t0, 1), "last_full": full_ids[-1],
            "partials_after_last_full": per_month[-1]}


def _bench_list(store, last_full: int) -> None:  # noqa: ANN001
    """The curated population: 1,500 ids of the last full snapshot and 500 absent ones (75 % present)."""
    # sample the snapshot's rows (a SAMPLE clause on the table itself would sample before the WHERE)
    ids = [r[0] for r in store._exec(f"SELECT id FROM (SELECT id FROM models WHERE snapshot_id = {last_full}) "
                                     "USING SAMPLE 1500 ROWS (reservoir, 3)").fetchall()]
    ids += [f"absent-org/absent-model-{i}" for i in range(500)]
    with store.transaction():
        store._exec("DELETE FROM populations WHERE name = 'bench-list'")
        store._exec("INSERT INTO populations SELECT 'bench-list', unnest(?), NULL, 'bench', now()", [ids])


def baseline(store, name: str, kw: dict, snapshot: int, reg) -> int:  # noqa: ANN001
    """The metric on one snapshot as before issue 8: no coverage, no census."""
    from modelcensus import metrics as M
    from modelcensus.metrics.catalog import coerce_options
    from modelcensus.metrics.groups import group_key
    from modelcensus.metrics.scope import drop_temps, make_scope

    spec = M.SPECS[name]
    opts = coerce_options(spec, {})
    key = group_key(kw.get("by") or spec.default_by, "root")
    scope = make_scope(store, snapshot=snapshot, population=kw.get("population", "all"), registry=reg)
    try:
        _cols, rows, _notes = M._run(name, scope, key, spec.fields[0] if spec.fields else None, opts)
    finally:
        drop_temps(scope)
    return len(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=200_000)
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--partials", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workdir", type=Path, default=None, help="keep the store here; a second run reuses it")
    args = ap.parse_args()

    from modelcensus.lineage import ensure_lineage
    from modelcensus.metrics import compute_metric
    from modelcensus.metrics.census import plan_census
    from modelcensus.metrics.scope import resolve_registry
    from modelcensus.store import Store

    work = args.workdir or Path(tempfile.mkdtemp(prefix="mc-bench-asof-"))
    store = Store(work / "asof.duckdb", memory_limit=os.environ.get("MC_BENCH_MEMORY_LIMIT", "4GB"))
    reg = resolve_registry(None)
    info = setup(store, args.models, args.months, args.partials)
    census = plan_census(store, info["as_of"], 45)
    t0 = time.perf_counter()
    for s in census.snapshots:
        ensure_lineage(store, s.id, reg)
    info["lineage_s"] = round(time.perf_counter() - t0, 1)
    info["census"] = census.as_dict()
    rows_census = store._one(f"SELECT count(*) FROM models WHERE snapshot_id = {info['last_full']}")
    print(f"setup: {info['import_s']} s import, {info['lineage_s']} s lineage; census = backbone "
          f"{info['last_full']} ({rows_census[0]:,} rows) + {len(census.fresher)} partial crawls", flush=True)

    results = []
    load_start = os.getloadavg()
    for label, name, kw in CASES:
        best = {"a": float("inf"), "b": float("inf"), "c": float("inf")}
        cpu = {"a": float("inf"), "b": float("inf"), "c": float("inf")}
        check = {}
        runs = {"a": lambda n=name, k=kw: baseline(store, n, k, info["last_full"], reg),
                "b": lambda n=name, k=kw: compute_metric(store, n, as_of=info["as_of"], registry=reg, **k),
                "c": lambda n=name, k=kw: compute_metric(store, n, snapshot=info["last_full"], registry=reg, **k)}
        for _ in range(args.repeat):
            for k, fn in runs.items():
                t, c0 = time.perf_counter(), time.process_time()  # CPU time of all threads: less load-sensitive
                out = fn()
                best[k] = min(best[k], time.perf_counter() - t)
                cpu[k] = min(cpu[k], time.process_time() - c0)
                if k == "b":
                    res_b = out
            check = {"models": res_b.coverage.get("models"), "warnings": [w["code"] for w in res_b.warnings],
                     "population": (res_b.coverage.get("population") or {}).get("text")}
        row = {"case": label, "baseline_s": round(best["a"], 4), "asof_s": round(best["b"], 4),
               "snapshot_with_coverage_s": round(best["c"], 4), "ratio_asof": round(best["b"] / best["a"], 3),
               "ratio_coverage_only": round(best["c"] / best["a"], 3), "goal_met": best["b"] / best["a"] <= GOAL,
               "cpu_baseline_s": round(cpu["a"], 4), "cpu_asof_s": round(cpu["b"], 4),
               "cpu_snapshot_with_coverage_s": round(cpu["c"], 4), "cpu_ratio_asof": round(cpu["b"] / cpu["a"], 3),
               **check}
        results.append(row)
        print(f"{label:42s} a {best['a']:.3f}s  b {best['b']:.3f}s ({row['ratio_asof']:.2f}x)  "
              f"c {best['c']:.3f}s ({row['ratio_coverage_only']:.2f}x)  cpu b/a {row['cpu_ratio_asof']:.2f}x",
              flush=True)
    doc = {"benchmark": "as-of census + coverage vs one-snapshot metric", "goal_ratio": GOAL,
           "measured_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "models": args.models,
           "months": args.months, "partials": args.partials, "repeat": args.repeat,
           "load_average_end": os.getloadavg(), "load_average_start": load_start,
           "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform()},
           "setup": info, "results": results, "synthetic": True}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print(f"wrote {RESULTS}")
    store.close()


if __name__ == "__main__":
    main()
