"""Benchmark (issue 12): the lineage build against a pandas + networkx implementation of its core rules.

    .venv/bin/python benchmarks/bench_lineage_pandas.py --check 20000             # agreement of the baseline
    .venv/bin/python benchmarks/bench_lineage_pandas.py --sizes 200000,1000000 --pairs 2 [--workdir DIR]

The goal of issue 12: the whole lineage build (edges, roots, origins) at least 20x faster than a pandas +
networkx implementation of the same rules, measured side by side. The baseline below is written the way an
analyst would: vectorised pandas (string methods, ``map`` look-ups, ``merge``, ``groupby``), networkx for the
graph walk, the registry read through ``modelcensus.api.load_registry()`` and its regexes reused as written.
DuckDB only LOADS the ``models`` and ``declarations`` tables into pandas; loading is timed on its own.

Rules the baseline implements (each as ``lineage/edges_*.py`` and ``build.py`` state it):

1. tier 1, declared edges from ``declarations``: parents of the strongest source only (card > Hub baseModels
   or ``base_model:<relation>:`` tag > plain tag); parent ids resolved to the stored spelling
   case-insensitively, through the registry's legacy aliases (``gpt2``) and renamed namespaces (``THUDM``);
   a parent that is neither resolved, an alias, nor a well-formed Hub id (``names.HUB_ID`` and its extra
   checks) dropped; self-declarations dropped; a dangling parent kept under its declared id (one spelling
   per lower-cased id); the relation (card's, else the Hub's for that parent, else the Hub's for the child,
   else merge for >= 2 parents, else quantized (format tag, format suffix, ``quantization_config``), else
   adapter (``adapter_config.json``, peft), else finetune) and the grade (declared / hub / tag);
2. tier 2, by name: a format conversion (format suffix or tag, no tier-1 edge) of the only same-named model
   without a marker; a re-uploader's copy (a registry ``intermediary`` namespace, observed without a
   declaration, or a dangling declared parent) mapped to the only same-named model of a registry-known
   non-intermediary namespace, else to the only registry family root of that name; a converted or
   re-uploaded name that starts with an organisation's namespace mapped to ``<namespace>/<rest>``;
   conversion before re-upload (kind rank);
3. tier 3, family name patterns: for a model (or dangling re-upload) with no tier-1 or tier-2 edge that is
   not a family root, the registry's name patterns applied to the name the SQL sees (name without format
   suffix, the student part of a distill name that states a size, format words removed); exactly one family
   matching -> an edge to that family's first listed root the snapshot holds (else its first listed root),
   unless the publisher is the family's own organisation;
4. structural edges: each child's strongest tier only (inside tier 2 its strongest kind);
5. roots: networkx DiGraph, edges inside a strongly connected component dropped (cycles broken), every root
   reachable by structural edges with weight 1/k per parent multiplied along paths (topological order);
   a model without structural parents is its own root; referenced-only nodes get no origin row;
6. origins: publisher namespace (the id's, else the alias's canonical id's) -> organisation, country and
   type through the registry's namespace table (renamed namespaces included); the same for every root.

NOT implemented (the modelcensus build does all of it, so the ratio it is compared on is a LOWER BOUND):
the config contradiction checks (A-E) and the teacher it records; GGUF ``general.base_model`` declarations;
the invalid-card-value problem rows; the stated-bases list; card-text rules (continued pretraining,
"distilled from"); teachers (distill names, the teacher list, trace datasets) and the tier-4 distillation
edges; re-uploads by config signature and by same declared base; the family config/tokenizer signatures and
scoring (a name pattern is the only family evidence here, so a tie is any two matching families); the
checkpoint choice (generation, size, distill series) and the ``series_by_config`` rule; per-root depth and
weakest grade, root family, evidence texts, problems; writing ``edges``/``origins`` to a store (the baseline
keeps its frames in memory); the indexes.

Measured (``--sizes``): a store per size built once from ``write_hubstats_parquet`` (seed 7) through
``api.import_path`` and cached in ``--workdir``; then per size ``--pairs`` alternating pairs of fresh
processes (``_common.run_child``: process wall time, CPU time, peak RSS): modelcensus ``api.ensure_lineage``
on a fresh copy of the store at default settings, and this baseline on the same store (read only). Each
child also times its own stages. Ratios use the best run of each side. ``--check N``: on an N-model store,
the baseline's roots per model against modelcensus's ``origins``, for models whose structural evidence in
modelcensus is tier 1 declared, or a family name pattern. Results: ``benchmarks/results/lineage_pandas.json``
and a section appended to ``benchmarks/RESULTS.md``. All input is SYNTHETIC.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import loadavg, machine, peak_rss_bytes, run_child  # noqa: E402
from lineage_pandas_rules import (  # noqa: E402
    Registry,
    Timer,
    _quiet_pandas,
    build_edges,
    load_tables,
    origins,
    resolve_roots_nx,
    structural,
)

RESULTS_JSON = HERE / "results" / "lineage_pandas.json"
RESULTS_MD = HERE / "RESULTS.md"
SEED = 7
def run_baseline(db: str, write: str | None = None) -> dict[str, Any]:
    """One baseline run: load (timed alone), then edges, roots and origins (the build, timed by stage)."""
    import duckdb  # noqa: F401 - imports are not part of any stage
    import networkx  # noqa: F401
    import pandas  # noqa: F401

    from modelcensus import api

    _quiet_pandas()
    t = Timer()
    models, decl = load_tables(db)
    t.lap("load_duckdb_to_pandas")
    reg_obj = api.load_registry()
    t.lap("load_registry")
    reg = Registry(reg_obj)
    t.lap("registry_frames")
    edges = build_edges(models, decl, reg, t)
    struct = structural(edges, models["id"])
    t.lap("structural")
    roots, cyc = resolve_roots_nx(struct)
    t.lap("roots_networkx")
    org = origins(models, roots, reg)
    t.lap("origins")
    build = sum(v for k, v in t.stages.items() if k not in ("load_duckdb_to_pandas", "load_registry"))
    res = {"side": "baseline", "models": len(models), "stages_seconds": t.stages, "build_seconds": round(build, 3),
           "load_seconds": t.stages["load_duckdb_to_pandas"], "edges": len(edges), "structural_edges": len(struct),
           "cycle_edges_dropped": cyc, "origin_rows": len(org),
           "edges_by_tier": {str(k): int(v) for k, v in edges.groupby("tier").size().items()},
           "root_country_models": round(float(org.loc[org["root_country"].notna(), "weight"].sum() / len(models)), 4),
           "peak_rss_bytes_self": peak_rss_bytes()}
    if write:
        org[["model_id", "root_id", "weight", "root_org", "root_country"]].to_parquet(write)
    return res


# ================================================================== the modelcensus side
def run_modelcensus(db: str) -> dict[str, Any]:
    """``api.ensure_lineage`` on the store at default settings (the store is a fresh copy: it is written), in a
    process set up as the command line sets up its own (``api.prefer_small_pages``)."""
    from modelcensus import api

    api.prefer_small_pages()
    t = Timer()
    reg = api.load_registry()
    t.lap("load_registry")
    with api.open_store(db) as store:
        sid = store.snapshot().id
        t.lap("open_store")
        stats = api.ensure_lineage(store, sid, reg, force=True)
        t.lap("ensure_lineage")
        limit = store.memory_limit
    return {"side": "modelcensus", "models": stats["models"], "stages_seconds": t.stages,
            "build_seconds": t.stages["ensure_lineage"], "memory_limit": limit,
            "edges": sum(v for v in stats["edges"].values() if isinstance(v, int)),
            "root_country_models": round(stats["coverage"]["root_country_models"], 4),
            "peak_rss_bytes_self": peak_rss_bytes()}


# ================================================================== agreement check, stores, the parent
def compare(mc_db: str, base: str) -> dict[str, Any]:
    """Root sets per model (ids case-insensitive, weights ignored; also root org and root country sets) of
    the baseline against modelcensus's ``origins``, by what decides the model's root in modelcensus."""
    import duckdb

    def sets(src: str) -> str:
        return (f"SELECT model_id, list_sort(list(DISTINCT lower(root_id))) AS r, "
                f"list_sort(list(DISTINCT coalesce(root_org, '?'))) AS o, "
                f"list_sort(list(DISTINCT coalesce(root_country, '?'))) AS c FROM {src} GROUP BY model_id")

    con = duckdb.connect()
    con.execute("ATTACH ? AS mc (READ_ONLY)", [mc_db])
    con.execute(f"""
        CREATE TABLE cmp AS
        WITH m AS ({sets('mc.origins')}), b AS ({sets('read_parquet($base)')}),
        cls AS (   -- what decides the root in modelcensus: a structural tier-1 edge, a family name pattern, ...
            SELECT child_id, bool_or(NOT inferred) AS decl,
                   bool_or(starts_with(evidence, 'name pattern of family')) AS fam
            FROM mc.edges WHERE structural GROUP BY child_id)
        SELECT m.model_id, CASE WHEN cls.decl THEN 'tier1_declared' WHEN cls.fam THEN 'family_name'
                                WHEN cls.child_id IS NULL THEN 'own_root' ELSE 'other_rules' END AS bucket,
               m.r AS mc_roots, b.r AS base_roots, m.r = b.r AS same_root, m.o = b.o AS same_org,
               m.c = b.c AS same_country
        FROM m JOIN b USING (model_id) LEFT JOIN cls ON cls.child_id = m.model_id
    """, {"base": base})
    out: dict[str, Any] = {}
    for bucket, n, r, o, c in con.execute("""
            SELECT bucket, count(*), count(*) FILTER (WHERE same_root), count(*) FILTER (WHERE same_org),
                   count(*) FILTER (WHERE same_country) FROM cmp GROUP BY ROLLUP (bucket) ORDER BY bucket
            """).fetchall():
        out[bucket or "all"] = {"models": n, "same_root_set": r, "same_root_org_set": o, "same_root_country_set": c,
                                "root_agreement_pct": round(100 * r / n, 2) if n else None,
                                "root_org_agreement_pct": round(100 * o / n, 2) if n else None,
                                "root_country_agreement_pct": round(100 * c / n, 2) if n else None}
    ex = con.execute("""SELECT bucket, model_id, mc_roots, base_roots FROM cmp WHERE NOT same_root
                        QUALIFY row_number() OVER (PARTITION BY bucket ORDER BY hash(model_id)) <= 4
                        ORDER BY bucket, model_id""").fetchall()
    out["examples_of_differences"] = [{"bucket": b, "model": m, "modelcensus": r1, "baseline": r2}
                                      for b, m, r1, r2 in ex]
    target = con.execute("SELECT count(*), count(*) FILTER (WHERE same_root) FROM cmp "
                         "WHERE bucket IN ('tier1_declared', 'family_name')").fetchone()
    out["declared_or_family_name"] = {"models": target[0], "same_root_set": target[1],
                                      "root_agreement_pct": round(100 * target[1] / target[0], 2)}
    return out


def prepare(path: str, n: int) -> dict[str, Any]:
    """A synthetic hub-stats file of ``n`` models imported into a fresh store (the file is then removed)."""
    from modelcensus import api
    from modelcensus.sources.synthetic import write_hubstats_parquet

    src = Path(path).with_suffix(".parquet")
    t = time.perf_counter()
    write_hubstats_parquet(src, n_models=n, seed=SEED)
    gen = time.perf_counter() - t
    with api.open_store(path) as store:
        t = time.perf_counter()
        api.import_path(store, src)
        imp = time.perf_counter() - t
    src.unlink()
    return {"generate_seconds": round(gen, 2), "import_seconds": round(imp, 2)}


def _task(argv: list[str]) -> None:
    name, *args = argv
    if name == "baseline":
        res = run_baseline(args[0], args[1] if len(args) > 1 else None)
    elif name == "modelcensus":
        res = run_modelcensus(args[0])
    elif name == "prepare":
        res = prepare(args[0], int(args[1]))
    elif name == "compare":
        res = compare(args[0], args[1])
    else:
        raise SystemExit(f"unknown task {name!r}")
    print(json.dumps(res, default=str))


class Bench:
    """The parent: imports only the standard library (a child's peak RSS must be its own), runs children."""

    def __init__(self, workdir: Path, src: Path | None) -> None:
        self.work = workdir
        self.work.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if k not in ("MODELCENSUS_MEMORY_LIMIT", "MODELCENSUS_DB")}
        if src:   # both sides on the same code, untouched by edits in progress in the checkout
            self.env["PYTHONPATH"] = os.pathsep.join([str(src.resolve()), *filter(None, [self.env.get("PYTHONPATH")])])

    def task(self, label: str, *args: object) -> tuple[dict[str, Any], dict[str, Any]]:
        before = loadavg()
        run = run_child(label, [sys.executable, __file__, "--task", *map(str, args)], env=self.env)
        res = json.loads(run.stdout.strip().splitlines()[-1])
        return run.as_dict() | {"load_before": before, "load_after": loadavg()}, res

    def store(self, n: int) -> Path:
        db = self.work / f"store-{n}-{SEED}.duckdb"
        if not db.exists():
            print(f"generating and importing {n:,} synthetic models ...", file=sys.stderr, flush=True)
            tmp = db.with_name(db.name + ".partial")
            tmp.unlink(missing_ok=True)
            self.task(f"prepare {n}", "prepare", tmp, n)
            tmp.replace(db)
        return db

    def side(self, side: str, db: Path) -> dict[str, Any]:
        """One run of one side; modelcensus builds on a fresh copy of the store (its build writes to it)."""
        if side == "baseline":
            proc, res = self.task("baseline", "baseline", db)
        else:
            copy = self.work / "mc-copy.duckdb"
            shutil.copyfile(db, copy)
            try:
                proc, res = self.task("modelcensus", "modelcensus", copy)
            finally:
                copy.unlink(missing_ok=True)
        print(f"  {side:12s} build {res['build_seconds']:8.2f} s  process {proc['seconds']:8.2f} s  "
              f"peak {proc['peak_rss_bytes'] / 2**20:7.0f} MiB  load {proc['load_after'][:1]}", file=sys.stderr,
              flush=True)
        return {"process": proc, "result": res}


def check(b: Bench, n: int) -> dict[str, Any]:
    """Agreement of the baseline with modelcensus on an ``n``-model store (roots per model)."""
    db = b.store(n)
    built = b.work / f"check-mc-{n}.duckdb"
    shutil.copyfile(db, built)
    roots = b.work / f"check-baseline-{n}.parquet"
    try:
        _, mc = b.task("modelcensus", "modelcensus", built)
        _, base = b.task("baseline", "baseline", db, roots)
        _, agree = b.task("compare", "compare", built, roots)
    finally:
        built.unlink(missing_ok=True)
        roots.unlink(missing_ok=True)
    return {"models": n, "seed": SEED, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "modelcensus": mc, "baseline": base, "agreement": agree}


def measure(b: Bench, sizes: list[int], pairs: int, doc: dict[str, Any]) -> None:
    """Alternating pairs of fresh processes per size; the document is rewritten after every run."""
    doc["runs"] = {}
    for n in sizes:
        db = b.store(n)
        runs: dict[str, list[dict[str, Any]]] = {"baseline": [], "modelcensus": []}
        doc["runs"][str(n)] = runs
        print(f"{n:,} models:", file=sys.stderr, flush=True)
        for i in range(pairs):
            for side in (("baseline", "modelcensus") if i % 2 == 0 else ("modelcensus", "baseline")):
                runs[side].append(b.side(side, db))
                doc["ratios"] = {k: ratios(v) for k, v in doc["runs"].items() if v["baseline"] and v["modelcensus"]}
                write_json(doc)


def ratios(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Best run of each side (other work on the machine only ever adds time); peak = the largest."""
    def best(side: str, key: str) -> float:
        return min(r["result"][key] if key.endswith("seconds") and key in r["result"] else r["process"][key]
                   for r in runs[side])

    mc_build, base_build = best("modelcensus", "build_seconds"), best("baseline", "build_seconds")
    base_with_load = min(r["result"]["build_seconds"] + r["result"]["load_seconds"] for r in runs["baseline"])
    peak = {s: max(r["process"]["peak_rss_bytes"] for r in runs[s]) for s in runs}
    return {
        "modelcensus_build_seconds": mc_build, "baseline_build_seconds": base_build,
        "baseline_load_seconds": min(r["result"]["load_seconds"] for r in runs["baseline"]),
        "baseline_build_over_modelcensus_build": round(base_build / mc_build, 2),
        "baseline_load_and_build_over_modelcensus_build": round(base_with_load / mc_build, 2),
        "process_wall_ratio": round(best("baseline", "seconds") / best("modelcensus", "seconds"), 2),
        "process_cpu_seconds": {s: best(s, "cpu_seconds") for s in runs},
        "process_cpu_ratio": round(best("baseline", "cpu_seconds") / best("modelcensus", "cpu_seconds"), 2),
        "peak_rss_bytes": peak, "peak_rss_ratio": round(peak["baseline"] / peak["modelcensus"], 2),
        "pairs": min(len(runs["baseline"]), len(runs["modelcensus"])),
    }


def write_json(doc: dict[str, Any]) -> None:
    RESULTS_JSON.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(doc, indent=2, default=str) + "\n")


def markdown(doc: dict[str, Any]) -> str:
    m = doc["machine"]
    out = [f"## Lineage build vs a pandas + networkx baseline ({doc['started']} - {doc['finished']})", "",
           f"`benchmarks/bench_lineage_pandas.py` (issue 12's 20x goal). Machine: {m['cpus']} CPUs, "
           f"{m['ram_bytes'] / 2**30:.1f} GiB RAM, Python {m['python']}, DuckDB {m['duckdb']}; shared with other "
           f"agents, load average (1, 5, 15 min) {doc['load_before']} before and {doc['load_after']} after. "
           f"Code {doc['code']}. SYNTHETIC stores (`write_hubstats_parquet`, seed {SEED}, `api.import_path`). Each "
           "run is a fresh process (modelcensus: `api.ensure_lineage` on a fresh copy of the store, default "
           "memory settings; baseline: the pandas + networkx subset of the rules the module docstring lists, "
           "reading the same store). Best of the runs per side; the modelcensus build does MORE than the "
           "baseline (contradiction checks, teachers, signatures, checkpoints, stated bases, writing and "
           "indexing the tables), so every ratio is a lower bound. Raw figures: "
           "`benchmarks/results/lineage_pandas.json`.", "",
           "| models | modelcensus build s | baseline build s (+ load s) | baseline / modelcensus (build) | "
           "(load + build) | process wall | process CPU s mc / baseline (ratio) | peak RSS MiB mc / baseline | "
           "build s, every run |", "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for n, r in doc.get("ratios", {}).items():
        runs = doc["runs"][n]
        all_s = "; ".join(f"{s}: " + ", ".join(f"{x['result']['build_seconds']:.1f}" for x in runs[s])
                          for s in ("modelcensus", "baseline"))
        out.append(f"| {int(n):,} | {r['modelcensus_build_seconds']:.2f} | {r['baseline_build_seconds']:.2f} "
                   f"(+ {r['baseline_load_seconds']:.2f}) | **{r['baseline_build_over_modelcensus_build']:.1f}x** | "
                   f"{r['baseline_load_and_build_over_modelcensus_build']:.1f}x | {r['process_wall_ratio']:.1f}x | "
                   f"{r['process_cpu_seconds']['modelcensus']:.1f} / {r['process_cpu_seconds']['baseline']:.1f} "
                   f"({r['process_cpu_ratio']:.1f}x) | {r['peak_rss_bytes']['modelcensus'] / 2**20:,.0f} / "
                   f"{r['peak_rss_bytes']['baseline'] / 2**20:,.0f} | {all_s} |")
    worst = min((r["baseline_build_over_modelcensus_build"] for r in doc.get("ratios", {}).values()), default=None)
    if worst is not None:
        out += ["", f"Goal (baseline / modelcensus >= 20x): **{'met' if worst >= 20 else 'not met'}** at the measured "
                f"sizes (lowest build ratio {worst:.2f}x)."]
    chk = doc.get("check")
    if chk:
        a = chk["agreement"]
        out += ["", f"Baseline check ({chk['models']:,} models, {chk['measured_at']}): the baseline's root set per "
                f"model equals modelcensus's for **{a['declared_or_family_name']['root_agreement_pct']:.2f} %** of "
                f"the {a['declared_or_family_name']['models']:,} models whose root modelcensus decides by a tier-1 "
                "declaration or a family name pattern (" + ", ".join(
                    f"{k}: {v['root_agreement_pct']:.2f} % of {v['models']:,} (org {v['root_org_agreement_pct']:.2f} %)"
                    for k, v in a.items() if k not in ("examples_of_differences", "declared_or_family_name"))
                + "). Measured once, not tuned afterwards."]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="", help="comma-separated model counts to measure, e.g. 200000,1000000")
    ap.add_argument("--pairs", type=int, default=2, help="alternating (baseline, modelcensus) pairs per size")
    ap.add_argument("--check", type=int, default=0, help="agreement check on a store of this many models")
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "mc-lineage-pandas")
    ap.add_argument("--no-md", action="store_true", help="do not append to benchmarks/RESULTS.md")
    ap.add_argument("--markdown", action="store_true",
                    help="append the section of the runs already in the results file (nothing is measured)")
    ap.add_argument("--src", type=Path, default=None,
                    help="run every child on this src folder (e.g. `git archive HEAD src | tar -x -C /tmp/x`)")
    ap.add_argument("--code-version", default=None, help="what --src holds (recorded, e.g. a commit)")
    ap.add_argument("--task", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.task:
        _task(args.task)
        return 0
    doc = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    if args.markdown:
        doc["ratios"] = {k: ratios(v) for k, v in doc.get("runs", {}).items() if v["baseline"] and v["modelcensus"]}
        write_json(doc)
        md = markdown(doc)
        with RESULTS_MD.open("a") as fh:
            fh.write("\n" + md)
        print(md)
        return 0
    b = Bench(args.workdir, args.src)
    doc.update({"benchmark": "lineage build: modelcensus vs a pandas + networkx baseline", "synthetic": True,
                "machine": machine(), "parent_peak_rss_bytes": peak_rss_bytes()})
    if args.check:
        doc["check"] = check(b, args.check)
        write_json(doc)
        print(json.dumps(doc["check"]["agreement"], indent=2))
    if args.sizes:
        import subprocess

        head = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=False).stdout.strip()
        doc.update(started=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), load_before=loadavg(),
                   code=f"{args.code_version or 'not given'} (src {args.src})" if args.src else f"{head} (installed)")
        doc.pop("ratios", None)
        measure(b, [int(x) for x in args.sizes.split(",") if x.strip()], args.pairs, doc)
        doc.update(finished=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), load_after=loadavg())
        write_json(doc)
        md = markdown(doc)
        if not args.no_md:
            with RESULTS_MD.open("a") as fh:
                fh.write("\n" + md)
        print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
