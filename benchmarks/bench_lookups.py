"""Benchmark: single-model look-ups of a built store's origins and edges, the library's form against one WHERE.

    .venv/bin/python benchmarks/bench_lookups.py --store STORE.duckdb [--ids 200] [--rounds 4]
        [--out benchmarks/results/lookups.json]

``lineage.origin`` picks a look-up form per store (``_by_id_alone``): with both look-up indexes and 2 to 20 built
snapshots it looks a model's rows up by its id alone, which DuckDB serves from the ART index on origins(model_id) /
edges(child_id), and keeps the asked snapshot's rows in Python; otherwise it uses one WHERE (``snapshot_id = ? AND
model_id = ?``), which DuckDB answers by scanning row groups unless the store holds one snapshot. The baseline
here is always the one-WHERE form, so on a store where the library picks it too the ratio is 1 up to noise.
Both run in one process on one read-only connection to the store, over the same ``--ids`` model ids sampled from
the latest snapshot, alternating which goes first every round; medians per form, ratio baseline / library, and
both must return the same rows (asserted). Needs a store whose lineage is built (``modelcensus lineage build``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from _common import loadavg, machine  # noqa: E402
from modelcensus.store import Store  # noqa: E402
from modelcensus.store.lookups import ORIGIN_COLS  # noqa: E402

# the module (the package exports a function of that name)
origin = importlib.import_module("modelcensus.lineage.origin")

ONE_WHERE = {  # the baseline: the queries as they were before the look-ups went through the index
    "origins": f"SELECT {ORIGIN_COLS} FROM origins WHERE snapshot_id = ? AND model_id = ? "
               "ORDER BY weight DESC, root_id",
    "edges": "SELECT child_id, parent_id, relation, inferred, grade, evidence, structural FROM edges "
             "WHERE snapshot_id = ? AND child_id = ?",
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--ids", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "lookups.json")
    args = ap.parse_args(argv)
    load_before = loadavg()
    with Store(args.store, read_only=True) as store:
        con: duckdb.DuckDBPyConnection = store.con
        sid = store.snapshot().id
        ids = [r[0] for r in con.execute("SELECT model_id FROM origins WHERE snapshot_id = ? ORDER BY hash(model_id) "
                                         "LIMIT ?", [sid, args.ids]).fetchall()]
        indexes = [r[0] for r in con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()]
        picked = "id alone" if origin._by_id_alone(store) else "one WHERE"
        library = {"origins": lambda m: origin._origin_rows(store, sid, m),
                   "edges": lambda m: origin._edges_of(store, sid, m)}
        baseline = {"origins": lambda m: con.execute(ONE_WHERE["origins"], [sid, m]).fetchall(),
                    "edges": lambda m: sorted(con.execute(ONE_WHERE["edges"], [sid, m]).fetchall(),
                                              key=lambda r: (r[1], r[2], r[3], r[4]))}
        times: dict[str, dict[str, list[float]]] = {t: {"library": [], "one_where": []} for t in library}
        for rnd in range(args.rounds):
            order = [("library", library), ("one_where", baseline)]
            for form, fns in (order if rnd % 2 == 0 else order[::-1]):
                for table, fn in fns.items():
                    for m in ids:
                        t0 = time.perf_counter()
                        fn(m)
                        times[table][form].append(time.perf_counter() - t0)
        for table in library:  # the same rows either way
            for m in ids:
                assert library[table](m) == baseline[table](m), (table, m)
        models = con.execute("SELECT count(*) FROM models WHERE snapshot_id = ?", [sid]).fetchone()
        snapshots = con.execute("SELECT count(DISTINCT snapshot_id) FROM origins").fetchone()
    out = {"machine": machine(), "load_before": load_before, "load_after": loadavg(), "store": str(args.store),
           "models": models[0] if models else None, "snapshots": snapshots[0] if snapshots else None,
           "indexes": indexes, "library_form": picked, "ids": len(ids), "rounds": args.rounds, "tables": {}}
    for table, forms in times.items():
        med = {f: statistics.median(v) * 1e3 for f, v in forms.items()}
        out["tables"][table] = {"median_ms": med, "one_where_over_library": med["one_where"] / med["library"]}
        print(f"{table:8s} library {med['library']:6.2f} ms  one WHERE {med['one_where']:6.2f} ms  "
              f"= {med['one_where'] / med['library']:.1f}x", flush=True)
    print(f"library form: {picked}; indexes {indexes}; {out['models']:,} models, {out['snapshots']} snapshot(s) in "
          f"origins; load {load_before} -> {out['load_after']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
