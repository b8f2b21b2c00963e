"""Benchmark (issue 12): how much faster than the pandas baseline DuckDB is, operation by operation, and the
writes the store path makes at least.

    .venv/bin/python benchmarks/bench_engine_ceiling.py --store STORE.duckdb [--hubstats FILE] [--repeat 3]

Issue 12 asks for the whole lineage build to be at least 20x faster than a pandas + networkx implementation of
the same rules (``bench_lineage_pandas.py``; its baseline is ``lineage_pandas_rules.py``), and for import +
lineage + report within 10x one DuckDB read of the file. Before another rewrite of the build for those ratios,
this measures how far DuckDB is ahead here:

- operations the baseline's pandas stages are made of, each run by the baseline's own pandas (pyarrow dtype
  backend, as ``lineage_pandas_rules._arrow_frame`` loads it) and by DuckDB on the same precomputed columns in
  the same process, alternating, best of ``--repeat``. DuckDB writes each result into a TEMP table (pandas holds
  its result in memory); it runs at its default thread count and again at one thread. Each pair must give the
  same number of rows (asserted).
- ``estimate``: the baseline's build if all its pandas time ran at the largest of those ratios and its networkx
  roots at ``--roots-ratio``. It is NOT a bound (review38): the pairs cover about a quarter of the baseline's
  pandas time, and a SQL build can skip work the baseline does (it resolves each distinct parent once, not
  each of 4M declarations). Review38 wrote SQL versions of the baseline's stages with output identical to
  its own and measured 11.4-12.2x for the whole; see ``benchmarks/RESULTS.md``.
- ``--hubstats``: one read of the file against writing the same columns into a store file as the importer
  does, and writing the built ``edges`` and ``origins`` into a store file: today's schema's writes.

Input: the latest complete snapshot of a store built by ``api.import_path`` (SYNTHETIC for the figures in
RESULTS.md), read through ``lineage_pandas_rules.load_tables``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import loadavg, machine  # noqa: E402
from lineage_pandas_rules import Registry, _quiet_pandas, load_tables  # noqa: E402


def _ops(models: Any, decl: Any, reg: Registry) -> list[tuple[str, Callable[[], int], str]]:
    """(name, the pandas form returning its row count, the DuckDB SELECT over tables m and d)."""
    from modelcensus.lineage.edge_sql import any_tag_sql
    from modelcensus.lineage.names import FORMAT_SUFFIX, FORMAT_TAGS

    anyp = "(?i)" + "|".join(f"(?:{p[4:]})" for p in reg.patterns.values())
    ids = models["id"]
    name = ids.str.replace(r"^[^/]*/", "", regex=True)
    by_lower = models.groupby("id_lower")["id"].min()
    low_parent = decl["parent_id"].str.lower()

    def lower() -> int:
        return len(ids.str.lower())

    def suffix() -> int:
        return len(name.str.lower().str.replace(FORMAT_SUFFIX, "", regex=True))

    def family_regex() -> int:
        return int(name.str.contains(anyp).sum())

    def group_min() -> int:
        return len(models.groupby("id_lower")["id"].min())

    def map_lookup() -> int:
        return int(low_parent.map(by_lower).notna().sum())

    def format_tags() -> int:
        tags = models["tags"].explode()
        return int(tags.isin(list(FORMAT_TAGS)).groupby(level=0).any().sum())

    def quant_config() -> int:
        return int(models["config"].str.contains('"quantization_config"', regex=False).sum())

    def merge() -> int:
        return len(decl.merge(models[["id", "library_name"]], left_on="child_id", right_on="id"))

    def best_per_child() -> int:
        return len(decl.sort_values(["child_id", "source"]).drop_duplicates("child_id"))

    sfx = FORMAT_SUFFIX.replace("'", "''")
    pat = anyp.replace("'", "''")
    return [
        ("lower-case the ids", lower, "SELECT lower(id) AS l FROM m"),
        ("strip the format suffix (regex replace)", suffix,
         f"SELECT regexp_replace(lower(nm), '{sfx}', '') AS b FROM m"),
        ("family name patterns (one alternation)", family_regex,
         f"SELECT count(*) FILTER (WHERE regexp_matches(nm, '{pat}')) AS n FROM m"),
        ("format tags per model (list test)", format_tags,
         f"SELECT count(*) FILTER (WHERE {any_tag_sql('tags', FORMAT_TAGS)}) AS n FROM m"),
        ("config names a quantization (substring)", quant_config,
         "SELECT count(*) FILTER (WHERE contains(config, '\"quantization_config\"')) AS n FROM m"),
        ("stored spelling per lower-case id (group min)", group_min,
         "SELECT id_lower, min(id) AS id FROM m GROUP BY id_lower"),
        ("resolve declared parents (look-up)", map_lookup,
         "SELECT count(b.id) AS n FROM d LEFT JOIN by_lower b ON lower(d.parent_id) = b.id_lower"),
        ("declarations joined to their models", merge,
         "SELECT d.*, m.id, m.library_name FROM d JOIN m ON d.child_id = m.id"),
        ("strongest source per child (sort, first)", best_per_child,
         "SELECT * FROM d QUALIFY row_number() OVER (PARTITION BY child_id ORDER BY source) = 1"),
    ]


def _rows_duckdb(con: Any, sql: str) -> int:
    con.execute(f"CREATE OR REPLACE TEMP TABLE r AS {sql}")
    n = con.execute("SELECT count(*) FROM r").fetchone()[0]
    if sql.startswith("SELECT count("):  # a counting form: its one row holds the count
        n = con.execute("SELECT * FROM r").fetchone()[0]
    return int(n)


def measure(store: str, repeat: int) -> dict[str, Any]:
    import duckdb

    from modelcensus.api import load_registry

    _quiet_pandas()
    models, decl = load_tables(store)
    reg = Registry(load_registry())
    con = duckdb.connect()
    con.register("m_df", models[["id", "id_lower", "library_name", "tags", "config"]])
    con.register("d_df", decl)
    # the name part precomputed on both sides (pandas' ``name`` in ``_ops``; review38 F3)
    con.execute("CREATE TEMP TABLE m AS SELECT *, regexp_replace(id, '^[^/]*/', '') AS nm FROM m_df")
    con.execute("CREATE TEMP TABLE d AS SELECT * FROM d_df")
    # the look-up's table, made once on both sides (pandas' ``by_lower`` is made in ``_ops``)
    con.execute("CREATE TEMP TABLE by_lower AS SELECT id_lower, min(id) AS id FROM m GROUP BY id_lower")
    threads = int(con.execute("SELECT current_setting('threads')").fetchone()[0])
    out: list[dict[str, Any]] = []
    for label, pandas_form, sql in _ops(models, decl, reg):
        runs: dict[str, list[float]] = {"pandas": [], f"duckdb_{threads}t": [], "duckdb_1t": []}
        counts: set[int] = set()
        for _ in range(repeat):
            t = time.perf_counter()
            counts.add(pandas_form())
            runs["pandas"].append(time.perf_counter() - t)
            for th, key in ((threads, f"duckdb_{threads}t"), (1, "duckdb_1t")):
                con.execute(f"SET threads = {th}")
                t = time.perf_counter()
                counts.add(_rows_duckdb(con, sql))
                runs[key].append(time.perf_counter() - t)
        con.execute(f"SET threads = {threads}")
        if len(counts) != 1:
            raise SystemExit(f"{label}: pandas and DuckDB disagree on the row count: {sorted(counts)}")
        best = {k: min(v) for k, v in runs.items()}
        out.append({"operation": label, "rows": counts.pop(), "seconds": {k: [round(x, 4) for x in v]
                                                                         for k, v in runs.items()},
                    "ratio": round(best["pandas"] / best[f"duckdb_{threads}t"], 2),
                    "ratio_1t": round(best["pandas"] / best["duckdb_1t"], 2)})
        print(f"{label:48s} pandas {best['pandas']:.3f} s  duckdb {best[f'duckdb_{threads}t']:.3f} s "
              f"({out[-1]['ratio']}x)  1 thread {best['duckdb_1t']:.3f} s ({out[-1]['ratio_1t']}x)", flush=True)
    return {"models": len(models), "declarations": len(decl), "duckdb_threads": threads, "operations": out}


def estimate(doc: dict[str, Any], roots_ratio: float) -> dict[str, Any] | None:
    """The baseline's build at the largest pair's ratio (not a bound, see the module docstring): its stage
    times (its best run at the size nearest this store's, from ``bench_lineage_pandas.py``), its pandas stages
    at the largest per-operation ratio, networkx at the roots'."""
    path = HERE / "results" / "lineage_pandas.json"
    if not path.exists():
        return None
    by_size = json.loads(path.read_text())["runs"]
    size = min(by_size, key=lambda k: abs(int(k) - int(doc.get("models", 0))))  # the run nearest this store's
    runs = by_size[size]["baseline"]
    stages = min((r["result"] for r in runs), key=lambda r: r["build_seconds"])["stages_seconds"]
    nx = stages["roots_networkx"]
    total = sum(v for k, v in stages.items() if not k.startswith("load"))
    c = max(op["ratio"] for op in doc["operations"])
    return {"baseline_models": int(size), "baseline_build_s": round(total, 2),
            "pandas_stages_s": round(total - nx, 2), "networkx_roots_s": nx,
            "largest_operation_ratio": c, "roots_ratio": roots_ratio,
            "whole_build_at_largest_ratio": round(total / ((total - nx) / c + nx / roots_ratio), 1)}


def _fresh(path: Path) -> None:
    for f in (path, Path(f"{path}.wal")):
        f.unlink(missing_ok=True)


def pipeline_floor(hubstats: str, store: str, repeat: int, work: Path) -> dict[str, Any]:
    """The least the store path must write, against one read of the file, in the same process (best of each):

    - ``read``: the importer's columns of the file into a TEMP table (``run_suite.py``'s baseline);
    - ``import_write``: the same columns into a table of a fresh store file, checkpointed;
    - ``lineage_write``: the store's built ``edges`` and ``origins`` (already in memory) into a fresh store file
      in one transaction, checkpointed.
    """
    import duckdb

    import bench_import

    cols = ", ".join(f'"{c}"' for c in bench_import._read_columns(Path(hubstats)))
    runs: dict[str, list[float]] = {"read": [], "import_write": [], "lineage_write": []}
    db = work / "floor.duckdb"
    for _ in range(repeat):
        con = duckdb.connect()
        con.execute("SET preserve_insertion_order = false")
        t = time.perf_counter()
        con.execute(f"CREATE TEMP TABLE t AS SELECT {cols} FROM read_parquet(?)", [hubstats])
        runs["read"].append(time.perf_counter() - t)
        con.close()
        _fresh(db)
        con = duckdb.connect(str(db))
        con.execute("SET preserve_insertion_order = false")  # as Store.bulk_load sets it (review38 F4)
        t = time.perf_counter()
        con.execute(f"CREATE TABLE t AS SELECT {cols} FROM read_parquet(?)", [hubstats])
        con.execute("CHECKPOINT")
        runs["import_write"].append(time.perf_counter() - t)
        con.close()
        _fresh(db)
        con = duckdb.connect(str(db))
        con.execute("ATTACH ? AS s (READ_ONLY)", [store])
        con.execute("CREATE TEMP TABLE e AS SELECT * FROM s.edges")
        con.execute("CREATE TEMP TABLE o AS SELECT * FROM s.origins")
        t = time.perf_counter()
        con.execute("BEGIN")
        con.execute("CREATE TABLE edges AS SELECT * FROM e")
        con.execute("CREATE TABLE origins AS SELECT * FROM o")
        con.execute("COMMIT")
        con.execute("CHECKPOINT")
        runs["lineage_write"].append(time.perf_counter() - t)
        con.close()
        _fresh(db)
    best = {k: min(v) for k, v in runs.items()}
    print("pipeline floor: " + ", ".join(f"{k} {v:.2f} s" for k, v in best.items()), flush=True)
    return {"seconds": {k: [round(x, 3) for x in v] for k, v in runs.items()},
            "best": {k: round(v, 3) for k, v in best.items()}}


def floor_ratio(floor: dict[str, Any], estimated: dict[str, Any] | None) -> dict[str, Any] | None:
    """import write + the rules at the estimate's ratio + lineage write, in reads of the file measured in the same
    process (the report not counted; the suite's read is a process's wall time, start-up included)."""
    if estimated is None:
        return None
    best = floor["best"]
    rules = (estimated["pandas_stages_s"] / estimated["largest_operation_ratio"]
             + estimated["networkx_roots_s"] / estimated["roots_ratio"])
    total = best["import_write"] + rules + best["lineage_write"]
    return {"rules_at_largest_ratio_s": round(rules, 2), "floor_s": round(total, 2),
            "floor_x_read": round(total / best["read"], 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True, help="a store built by api.import_path (its latest snapshot)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--roots-ratio", type=float, default=62.3,
                    help="roots against networkx, from bench_roots.py (RESULTS.md)")
    ap.add_argument("--hubstats", help="the file the store was imported from: also measure the pipeline's floor")
    ap.add_argument("--workdir", default=None, help="scratch for the floor's store files (default: a temp dir)")
    ap.add_argument("--out", default=str(HERE / "results" / "engine_ceiling.json"))
    a = ap.parse_args(argv)
    doc: dict[str, Any] = {"benchmark": "per-operation: the pandas baseline's operations on pandas and DuckDB",
                           "machine": machine(), "load_before": loadavg(), "store": a.store}
    doc.update(measure(a.store, a.repeat))
    doc["load_after"] = loadavg()
    doc["estimate"] = estimate(doc, a.roots_ratio)
    print(json.dumps(doc["estimate"], indent=1))
    if a.hubstats:
        import tempfile

        with tempfile.TemporaryDirectory(dir=a.workdir) as work:
            doc["pipeline_floor"] = pipeline_floor(a.hubstats, a.store, a.repeat, Path(work))
        doc["pipeline_floor"]["total"] = floor_ratio(doc["pipeline_floor"], doc["estimate"])
        print(json.dumps(doc["pipeline_floor"]["total"], indent=1))
    Path(a.out).write_text(json.dumps(doc, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
