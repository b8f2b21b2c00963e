"""One benchmark suite (issue 12): the whole pipeline at default settings, each stage its own process.

    .venv/bin/python benchmarks/run_suite.py [--models 2200000] [--seed 7] [--workdir /tmp/mc-suite]
        [--growth 100000,500000,1000000,2200000] [--history 3 --history-models 2200000]
        [--spark [--spark-master URL]] [--skip-single] [--repeat-baseline 2] [--src DIR]

Single snapshot (``--models``): the SYNTHETIC hub-stats Parquet (``write_hubstats_parquet``; generated once and
reused from ``--workdir``, keyed by size and seed), then, each stage a separate process run the way a user runs it
(the ``modelcensus`` CLI, or ``modelcensus.api`` where the CLI has no command for the stage), with no memory
setting of ours (``$MODELCENSUS_MEMORY_LIMIT`` is removed from the children's environment, so the store's
default applies):

- baseline ``read``: DuckDB reads the columns the importer uses from the same file into a table
  (``bench_import.measure_read``), run before and after the pipeline, best of the runs;
- ``import`` (CLI), ``lineage`` (``api.ensure_lineage``), every metric case of ``bench_metrics.CASES`` (CLI),
  ``report`` (CLI, HTML), an inventory ``audit`` of 1,000 sampled ids (CLI, ``bench_audit.sample_inventory``);
- context baselines: ``startup`` (``modelcensus snapshots --format json``: the fixed cost of one CLI process) and
  ``scan`` (one pass over the store's models table, ``bench_metrics.measure_scan``).

Per stage: process wall time, CPU time, peak resident memory (the child's ``ru_maxrss`` from ``os.wait4``;
this parent imports only the standard library, so the figure is the child's own), ratio to the read.

``--growth``: import, lineage and every metric at each size, with the fitted log-log growth exponent.
``--history K``: K monthly full snapshots of ``--history-models`` models (``generate_hub`` months written as
``YYYY-MM-DD.parquet`` hub-stats files, the layout of ``--snapshots DIR``), imported into a store with lineage per
snapshot, then as-of censuses and monthly series on the store, and the ``--snapshots DIR --engine duckdb`` forms
(publisher keys, no lineage) on the folder; ``--spark`` runs those on ``--engine spark`` too (local mode unless
``--spark-master``), skipped with the reason when the CLI or pyspark lacks it.

Peak memory is reported twice: the process's own (``ru_maxrss``) and its process tree's summed RSS sampled
every 0.5 s from /proc (what a stage's helpers, such as Spark's JVM, add).

Results: ``benchmarks/results/suite.json`` and a section appended to ``benchmarks/RESULTS.md``. All input is
SYNTHETIC.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import Run, growth_exponent, loadavg, machine, peak_rss_bytes, run_child  # noqa: E402

RESULTS_JSON = HERE / "results" / "suite.json"
RESULTS_MD = HERE / "RESULTS.md"
GOAL_PEAK = 4 * 2**30
MC = [sys.executable, "-m", "modelcensus"]


# -- child tasks (run as `run_suite.py --task NAME ARGS...` in a fresh interpreter) ---------------------------
def task_generate(path: str, n: str, seed: str) -> dict:
    from modelcensus.sources.synthetic import write_hubstats_parquet

    write_hubstats_parquet(path, n_models=int(n), seed=int(seed))
    return {"bytes": Path(path).stat().st_size}


def task_read(*paths: str) -> dict:
    """The baseline: DuckDB reads the importer's columns of the file(s) into one table."""
    import duckdb

    import bench_import

    if len(paths) == 1:
        return bench_import.measure_read(Path(paths[0]))
    cols = ", ".join(f'"{c}"' for c in bench_import._read_columns(Path(paths[0])))
    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    t0 = time.perf_counter()
    con.execute(f"CREATE TEMP TABLE t AS SELECT {cols} FROM read_parquet(?, union_by_name = true)", [list(paths)])
    rows = con.execute("SELECT count(*) FROM t").fetchall()[0][0]
    return {"seconds": time.perf_counter() - t0, "rows": rows}


def task_lineage(db: str, which: str) -> dict:
    from modelcensus import api

    api.prefer_small_pages()  # as the command line does at start (import, report and metrics run the CLI itself)
    with api.open_store(db) as store:
        reg = api.load_registry()
        snaps = store.snapshots() if which == "all" else [store.snapshot()]
        t0 = time.perf_counter()
        for s in snaps:
            api.ensure_lineage(store, s.id, reg)
        return {"seconds": time.perf_counter() - t0, "snapshots": len(snaps), "memory_limit": store.memory_limit,
                "memory_limit_source": store.memory_limit_source,
                "origins": store._one("SELECT count(*) FROM origins")[0]}


def task_scan(db: str) -> dict:
    import bench_metrics

    return bench_metrics.measure_scan(db, "models")


def task_inventory(db: str, path: str) -> dict:
    import bench_audit

    return bench_audit.sample_inventory(db, 1000, Path(path))


def task_history(folder: str, n: str, months: str, seed: str) -> dict:
    """``months`` monthly full snapshots of one synthetic hub as hub-stats files named by observation date."""
    import pyarrow.parquet as pq

    from modelcensus.sources.synthetic import generate_hub

    hub = generate_hub(n_models=int(n), seed=int(seed), months=int(months))
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for m in range(hub.months):
        when = hub.observed_at(m)
        path = out / f"{when:%Y-%m-%d}.parquet"
        idx = hub.model_indices(m)
        meta = {b"synthetic": b"true", b"modelcensus.observed_at": when.isoformat().encode(),
                b"modelcensus.source_ref": hub.source_ref.encode()}
        if not path.exists():
            tmp = path.with_name(path.name + ".partial")
            writer = None
            for lo in range(0, len(idx), 100_000):
                table = hub.universe.hubstats_table(idx[lo:lo + 100_000], hub._grid_month(m))
                table = table.replace_schema_metadata({**(table.schema.metadata or {}), **meta})
                if writer is None:
                    writer = pq.ParquetWriter(tmp, table.schema, compression="zstd")
                writer.write_table(table)
            assert writer is not None
            writer.close()
            tmp.replace(path)
        rows.append(len(idx))
    return {"files": hub.months, "rows": rows, "last_observed_at": hub.observed_at(hub.months - 1).isoformat()}


TASKS = {"generate": task_generate, "read": task_read, "lineage": task_lineage, "scan": task_scan,
         "inventory": task_inventory, "history": task_history}


def _task_main(name: str, args: list[str]) -> None:
    res = TASKS[name](*args)
    res["peak_rss_bytes_self"] = peak_rss_bytes()
    print(json.dumps(res, default=str))


# -- the parent: runs stages, keeps itself small ------------------------------------------------------------------
class Suite:
    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.work = workdir
        self.env = env
        self.runs: list[dict] = []

    def task(self, label: str, name: str, *args: object) -> Run:
        run = run_child(label, [sys.executable, __file__, "--task", name, *map(str, args)], env=self.env)
        line = next(ln for ln in reversed(run.stdout.strip().splitlines()) if ln.startswith("{"))
        # the task's own in-process times keep a prefix: the stage's figures are the process's
        run.extra = {(f"task_{k}" if k in ("seconds", "cpu_seconds") else k): v for k, v in json.loads(line).items()}
        return run

    def cli(self, label: str, db: Path, *args: str, ok: tuple[int, ...] = (0,)) -> Run:
        return run_child(label, [*MC, "--db", str(db), *args], env=self.env, ok=ok)

    def log(self, stage: str, run: Run, **extra: object) -> dict:
        row = {"stage": stage, **run.as_dict(), **extra}
        row.pop("label", None)
        self.runs.append(row)
        print(f"  {stage:45s} {run.seconds:8.2f} s  peak {run.peak_rss_bytes / 2**30:5.2f} GiB  "
              f"load {loadavg()[:1]}", file=sys.stderr, flush=True)
        return row

    def snapshot_file(self, n: int, seed: int) -> tuple[Path, float | None]:
        path = self.work / f"hubstats-{n}-{seed}.parquet"
        if path.exists():
            return path, None
        run = self.task(f"generate {n}", "generate", path, n, seed)
        return path, run.seconds

    def fresh_store(self, name: str) -> Path:
        db = self.work / name
        for p in (db, Path(str(db) + ".wal")):
            p.unlink(missing_ok=True)
        return db


def metric_args(name: str, opts: dict) -> list[str]:
    """A ``bench_metrics.CASES`` entry as CLI arguments."""
    args = [name]
    for k, v in opts.items():
        if k == "by":
            args += ["--by", str(v)]
        elif k == "field":
            args += ["--field", str(v)]
        else:
            args += ["-o", f"{k}={str(v).lower() if isinstance(v, bool) else v}"]
    return args


def run_metrics(s: Suite, db: Path, prefix: str) -> list[dict]:
    from bench_metrics import CASES, REGIONS

    rows = []
    for i, (label, name, opts) in enumerate(CASES):
        if name == "region_shift" and not REGIONS.is_file():
            continue
        out = s.work / f"metric-{i}.json"
        run = s.cli(label, db, "metrics", *metric_args(name, opts), "--format", "json", "--out", str(out))
        rows.append(s.log(f"{prefix}metric: {label}", run))
    return rows


def _figures(row: dict, read: float, read_cpu: float) -> dict:
    return {"seconds": row["seconds"], "cpu_seconds": row["cpu_seconds"], "peak_rss_bytes": row["peak_rss_bytes"],
            "tree_peak_rss_bytes": row.get("tree_peak_rss_bytes", 0),
            "ratio_to_read": row["seconds"] / read, "cpu_ratio_to_read": row["cpu_seconds"] / read_cpu}


def _peak(v: dict) -> int:
    """The larger of the process's own peak and its process tree's sampled peak."""
    return max(v["peak_rss_bytes"], v.get("tree_peak_rss_bytes", 0))


def single(s: Suite, n: int, seed: int, repeat_read: int, *, full: bool = True) -> dict:
    """One snapshot of ``n`` models through every stage; ``full=False`` (growth points): no report, no audit."""
    path, gen_s = s.snapshot_file(n, seed)
    tag = f"[{n:,}] "
    reads = [s.log(f"{tag}baseline: DuckDB read of the file", s.task("read", "read", path))]
    db = s.fresh_store(f"store-{n}-{seed}.duckdb")
    imp = s.log(f"{tag}import", s.cli("import", db, "import", str(path)))
    lin = s.log(f"{tag}lineage build", s.task("lineage", "lineage", db, "latest"))
    start = s.log(f"{tag}baseline: CLI start-up (snapshots --format json)",
                  s.cli("startup", db, "snapshots", "--format", "json"))
    scan = s.log(f"{tag}baseline: one scan of models", s.task("scan", "scan", db))
    metrics = run_metrics(s, db, tag)
    stages = {"import": imp, "lineage": lin}
    if full:
        stages["report"] = s.log(f"{tag}report (HTML)", s.cli("report", db, "report", "--out",
                                                                 str(s.work / "report.html")))
        inv = s.work / f"inventory-{n}.txt"
        s.task("inventory", "inventory", db, inv)
        stages["audit"] = s.log(f"{tag}audit of 1,000 ids", s.cli(
            "audit", db, "audit", "--inventory", str(inv), "--policy", "no-prc-roots", "--format", "json",
            "--out", str(s.work / "audit.json"), ok=(0, 1)))
    for _ in range(max(repeat_read, 1) - 1):
        reads.append(s.log(f"{tag}baseline: DuckDB read of the file", s.task("read", "read", path)))
    read = min(r["seconds"] for r in reads)  # process wall, like every stage (in-query time: read_query_seconds)
    read_cpu = min(r["cpu_seconds"] for r in reads)
    metrics_s = sum(m["seconds"] for m in metrics)
    core = sum(stages[k]["seconds"] for k in ("import", "lineage", "report") if k in stages)
    every = core + metrics_s + (stages["audit"]["seconds"] if "audit" in stages else 0.0)
    peaks = {k: _peak(v) for k, v in stages.items()} | {"metrics (max)": max(_peak(m) for m in metrics)}
    return {"models": n, "seed": seed, "file_bytes": path.stat().st_size, "generate_seconds": gen_s,
            "read_seconds": read, "read_runs": [r["seconds"] for r in reads],
            "read_query_seconds": min(r["task_seconds"] for r in reads),
            "read_cpu_seconds": min(r["cpu_seconds"] for r in reads),
            "read_peak_rss_bytes": max(r["peak_rss_bytes"] for r in reads),
            "startup_seconds": start["seconds"], "scan_seconds": scan["seconds"],
            "memory_limit": lin.get("memory_limit"), "memory_limit_source": lin.get("memory_limit_source"),
            "stages": {k: _figures(v, read, read_cpu) for k, v in stages.items()},
            "metrics": {m["stage"].split("metric: ", 1)[1]: _figures(m, read, read_cpu) for m in metrics},
            "metrics_seconds": metrics_s, "metrics_ratio_to_read": metrics_s / read,
            "core_pipeline_seconds": core, "core_ratio_to_read": core / read,
            "core_cpu_ratio_to_read": sum(stages[k]["cpu_seconds"] for k in ("import", "lineage", "report")
                                          if k in stages) / read_cpu,
            "all_stages_seconds": every, "all_ratio_to_read": every / read,
            "peaks": peaks, "all_under_goal": all(p < GOAL_PEAK for p in peaks.values())}


def growth(s: Suite, sizes: list[int], seed: int, done: dict | None) -> dict:
    points = []
    for n in sizes:
        if done is not None and done["models"] == n:
            points.append(done)  # the single-snapshot run of this invocation is this size's point
            continue
        points.append(single(s, n, seed, 1, full=False))
    fit = {}
    for key, get in (("import_seconds", lambda p: p["stages"]["import"]["seconds"]),
                     ("lineage_seconds", lambda p: p["stages"]["lineage"]["seconds"]),
                     ("metrics_seconds", lambda p: p["metrics_seconds"]),
                     ("read_seconds", lambda p: p["read_seconds"]),
                     ("lineage_peak_rss", lambda p: p["stages"]["lineage"]["peak_rss_bytes"]),
                     ("metrics_peak_rss", lambda p: p["peaks"]["metrics (max)"])):
        fit[key] = growth_exponent([p["models"] for p in points], [get(p) for p in points])
    return {"sizes": sizes, "points": [{k: p[k] for k in ("models", "read_seconds", "metrics_seconds", "stages",
                                                           "peaks")} for p in points], "exponents": fit}


# the store path: as-of censuses and monthly series with lineage keys (needs import + lineage builds)
STORE_CASES = [("as-of census: downloads by root_country", ["downloads", "--by", "root_country", "--as-of", "{as_of}"]),
               ("as-of census: licences by root_country", ["licences", "--by", "root_country", "--as-of", "{as_of}"]),
               ("monthly series: downloads_monthly by root_country", ["downloads_monthly", "--by", "root_country"]),
               ("monthly series: concentration by org", ["concentration", "--by", "org", "-o", "series=true"])]
# what `--snapshots DIR` computes (no lineage: publisher keys), run on the store too, like for like
FOLDER_CASES = [("latest: downloads by publisher_country", ["downloads", "--by", "publisher_country"]),
                ("series: downloads_cumulative by publisher_country",
                 ["downloads_cumulative", "--by", "publisher_country"]),
                ("monthly series: concentration by publisher_country",
                 ["concentration", "--by", "publisher_country", "-o", "series=true"]),
                ("series: ram", ["ram"])]  # every file's models; no key, so no lineage
# root keys on `--snapshots DIR`, after `lineage build --snapshots DIR` (run with --history-lineage)
FOLDER_ROOT_CASES = [("latest: downloads by root_country", ["downloads", "--by", "root_country"]),
                     ("monthly series: downloads_monthly by root_country",
                      ["downloads_monthly", "--by", "root_country"]),
                     # the latest file's models rows made on the engine, then the store path's query files
                     ("latest: licences by root_country", ["licences", "--by", "root_country"]),
                     ("latest: sizes", ["sizes"]),
                     ("latest: licence_drift by family", ["licence_drift"]),
                     ("latest: intermediaries", ["intermediaries"]),
                     ("latest: cadence by org", ["cadence"]),
                     ("latest: derivative_share by family", ["derivative_share"])]


def spark_available() -> str | None:
    """None when the CLI has the Spark seam (``metrics --engine``) and pyspark imports, else why not."""
    import importlib.util
    import subprocess

    out = subprocess.run([*MC, "metrics", "--help"], capture_output=True, text=True, check=False).stdout
    if "--engine" not in out:
        return "this checkout's CLI has no `metrics --engine` (issue 12 Spark seam)"
    return None if importlib.util.find_spec("pyspark") else "pyspark is not installed (pip install modelcensus[spark])"


def history_commands(path: str, db: Path, folder: Path, as_of: str,
                     spark_master: str | None = None, roots: bool = False) -> list[tuple[str, list[str]]]:
    """The history commands of one path: ``store`` (the DuckDB store), ``folder-duckdb`` or ``folder-spark``
    (``--snapshots DIR`` on that engine)."""
    before, after = [], []  # --db is the CLI's global option; --snapshots/--engine are the metric's own
    if path == "store":
        before, cases = ["--db", str(db)], STORE_CASES + FOLDER_CASES
    else:
        engine = path.split("-", 1)[1]
        after = ["--snapshots", str(folder), "--engine", engine]
        after += ["--spark-master", spark_master] if engine == "spark" and spark_master else []
        cases = FOLDER_CASES + (FOLDER_ROOT_CASES if roots else [])
    return [(label, [*MC, *before, "metrics", *(a.format(as_of=as_of) for a in args), *after, "--format", "json",
                     "--out", os.devnull]) for label, args in cases]


def history(s: Suite, n: int, months: int, seed: int, spark: bool, spark_master: str | None,
            with_store: bool = True, with_lineage: bool = False, cases: list[str] | None = None,
            without_duckdb_folder: bool = False) -> dict:
    """K monthly full snapshots: the store path (import, lineage, censuses, series; skipped when not
    ``with_store``), then ``--snapshots DIR`` (with ``with_lineage``: after ``lineage build --snapshots DIR``,
    with root keys too). ``cases``: only the commands whose label contains one of these words (a Spark command
    at 53M rows takes most of an hour here, so a run may pick a few)."""
    folder = s.work / f"history-{n}-{months}-{seed}"
    gen = s.task("history files", "history", folder, n, months, seed)
    files = sorted(str(p) for p in folder.glob("*.parquet"))[:months]
    as_of = gen.extra["last_observed_at"][:10]
    out: dict = {"models": n, "snapshots": months, "rows": sum(gen.extra["rows"]), "folder": folder.name,
                 "first_rows": gen.extra["rows"][0], "last_rows": gen.extra["rows"][-1],
                 "as_of": as_of, "generate_seconds": gen.seconds}
    read = s.log(f"[history {months}x{n:,}] baseline: DuckDB read of all files", s.task("read", "read", *files))
    rows: list[tuple[str, str, dict]] = []
    db = s.fresh_store(f"history-{n}-{months}-{seed}.duckdb")
    paths = [] if without_duckdb_folder else ["folder-duckdb"]
    if with_store:
        rows.append(("store", "import", s.log(f"[history] import {months} files", s.cli("import", db, "import",
                                                                                       str(folder)))))
        rows.append(("store", "lineage of every snapshot", s.log("[history] lineage of every snapshot",
                                                                 s.task("lineage", "lineage", db, "all"))))
        paths.insert(0, "store")
    if spark:
        why = spark_available()
        if why:
            out["spark_skipped"] = why
        else:
            paths.append("folder-spark")
    out.update(cases=cases or None, paths_skipped=[p for p, skip in (("folder-duckdb", without_duckdb_folder),
                                                                    ("store", not with_store)) if skip])
    failed = []
    if with_lineage:
        rows.append(("folder", "lineage build --snapshots (every file)", s.log(
            "[history] lineage build --snapshots", run_child("lineage build", [*MC, "lineage", "build", "--snapshots",
                                                                             str(folder), "--force"], env=s.env))))
    for path in paths:
        for label, argv in history_commands(path, db, folder, as_of, spark_master, roots=with_lineage):
            if cases and not any(c in label for c in cases):
                continue
            run = run_child(label, argv, env=s.env, ok=tuple(range(256)))  # one failed command does not end the run
            if run.returncode != 0:
                failed.append({"path": path, "stage": label, "returncode": run.returncode,
                               "stderr": run.stderr.strip().splitlines()[-1:] if run.stderr.strip() else []})
                print(f"  [history {path}] {label}: FAILED (exit {run.returncode})", file=sys.stderr, flush=True)
                continue
            rows.append((path, label, s.log(f"[history {path}] {label}", run)))
    stages = [{"path": p, "stage": label, **_figures(r, read["seconds"], read["cpu_seconds"])}
              for p, label, r in rows]
    out["failed"] = failed
    return {**out, "read_seconds": read["seconds"], "read_cpu_seconds": read["cpu_seconds"],
            "read_peak_rss_bytes": read["peak_rss_bytes"], "paths": paths, "stages": stages,
            "all_under_goal": all(_peak(v) < GOAL_PEAK for v in stages) if stages else None}


def check_history_cases(cases: list[str], paths: list[str], with_lineage: bool) -> None:
    """Before any work: a misspelt word would run nothing and still read as a complete run (review32 R32-6), and
    found after the long steps it threw them away (review33 R33-5)."""
    labels = [label for path in paths for label, _ in history_commands(path, Path(), Path(), "", roots=with_lineage)]
    unmatched = [c for c in cases if not any(c in label for label in labels)]
    if unmatched:
        raise SystemExit(f"--history-cases {', '.join(unmatched)}: no command of the paths to run "
                         f"({', '.join(paths) or 'none'}) matches")


def _git_head() -> str:
    import subprocess

    head = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(HERE), "status", "--porcelain", "--", "../src"], capture_output=True,
                           text=True, check=False).stdout.strip()
    return f"{head}{' + uncommitted edits under src/' if dirty else ''}" if head else "unknown"


# -- RESULTS.md ---------------------------------------------------------------------------------------------------
def _gib(b: float) -> str:
    return f"{b / 2**30:.2f}"


def _ok(b: float) -> str:
    return "yes" if b < GOAL_PEAK else "**no**"


def _single_md(r: dict) -> list[str]:
    read = r["read_seconds"]
    out = [f"### One snapshot: {r['models']:,} SYNTHETIC models (seed {r['seed']}, "
           f"{r['file_bytes'] / 2**20:.0f} MiB Parquet)", "",
           f"DuckDB memory_limit in the stages: {r['memory_limit']} ({r['memory_limit_source']}). Baseline: DuckDB "
           f"reading the importer's columns of the file into a table in a fresh process, {read:.2f} s (best of "
           f"{', '.join(f'{x:.2f}' for x in r['read_runs'])} s; of which the read itself "
           f"{r['read_query_seconds']:.2f} s; CPU {r['read_cpu_seconds']:.2f} s; peak "
           f"{_gib(r['read_peak_rss_bytes'])} GiB). "
           f"Context: one CLI process start-up {r['startup_seconds']:.2f} s; one scan of the store's models "
           f"{r['scan_seconds']:.2f} s (process wall times).", "",
           "| stage | wall s | x read (wall) | CPU s | x read (CPU) | peak RSS GiB (process / tree) | under 4 GiB |",
           "|---|---:|---:|---:|---:|---:|---|"]
    rows = [*r["stages"].items(), *((f"metric: {k}", v) for k, v in r["metrics"].items())]
    for k, v in rows:
        out.append(f"| {k} | {v['seconds']:.2f} | {v['ratio_to_read']:.1f} | {v['cpu_seconds']:.2f} | "
                   f"{v['cpu_ratio_to_read']:.1f} | {_gib(v['peak_rss_bytes'])} / {_gib(v['tree_peak_rss_bytes'])} | "
                   f"{_ok(_peak(v))} |")
    out += ["", "- import + lineage + report (the issue's single-snapshot pipeline): "
                f"{r['core_pipeline_seconds']:.1f} s = **{r['core_ratio_to_read']:.1f}x** one read in wall time, "
                f"{r['core_cpu_ratio_to_read']:.1f}x in CPU time (goal 10x).",
            f"- every metric ({len(r['metrics'])} processes): {r['metrics_seconds']:.1f} s = "
            f"{r['metrics_ratio_to_read']:.1f}x; all stages incl. metrics and audit: {r['all_stages_seconds']:.1f} s = "
            f"{r['all_ratio_to_read']:.1f}x.",
            f"- every stage under 4 GiB peak RSS at defaults: **{'yes' if r['all_under_goal'] else 'no'}**.", ""]
    return out


def _growth_md(g: dict) -> list[str]:
    out = ["### Growth (import, lineage, every metric at each size)", "",
           "| models | read s | import s | lineage s | metrics s | lineage peak GiB | metrics peak GiB |",
           "|---:|---:|---:|---:|---:|---:|---:|"]
    for p in g["points"]:
        st = p["stages"]
        out.append(f"| {p['models']:,} | {p['read_seconds']:.2f} | {st['import']['seconds']:.2f} | "
                   f"{st['lineage']['seconds']:.2f} | {p['metrics_seconds']:.2f} | "
                   f"{_gib(st['lineage']['peak_rss_bytes'])} | {_gib(p['peaks']['metrics (max)'])} |")
    fit = ", ".join(f"{k} {v:.2f}" for k, v in g["exponents"].items() if v is not None)
    return [*out, "", f"Fitted growth exponents (log-log least squares; 1.0 = linear): {fit}.", ""]


def _history_md(h: dict) -> list[str]:
    sizes = (f"{h['first_rows']:,} models in the first file, {h['last_rows']:,} in the last; "
             if "first_rows" in h else "")
    out = [f"### History: {h['snapshots']} monthly full snapshots of {h['models']:,} models ({h['rows']:,} rows)", "",
           f"Files: `{h['folder']}/YYYY-MM-DD.parquet` (one synthetic hub of {h['models']:,} models ever created; "
           f"{sizes}hub-stats layout, the `--snapshots DIR` layout). Baseline: "
           f"DuckDB reading the importer's columns of all {h['snapshots']} files into one table in a fresh process, "
           f"{h['read_seconds']:.2f} s (CPU {h['read_cpu_seconds']:.2f} s; peak {_gib(h['read_peak_rss_bytes'])} "
           f"GiB). As-of date {h['as_of']}. Paths: `store` = imported store at default settings; `folder-<engine>` "
           "= `metrics --snapshots DIR --engine <engine>` (no store, no lineage: publisher keys)."
           + (f" Only the commands whose label contains {', '.join(repr(c) for c in h['cases'])}." if h.get("cases")
              else "")
           + (f" Paths not run: {', '.join(h['paths_skipped'])}." if h.get("paths_skipped") else ""), "",
           "| path | stage | wall s | x read (wall) | CPU s | x read (CPU) | peak RSS GiB (process / tree) | "
           "under 4 GiB |", "|---|---|---:|---:|---:|---:|---:|---|"]
    for v in h["stages"]:
        out.append(f"| {v['path']} | {v['stage']} | {v['seconds']:.2f} | {v['ratio_to_read']:.1f} | "
                   f"{v['cpu_seconds']:.2f} | {v['cpu_ratio_to_read']:.1f} | {_gib(v['peak_rss_bytes'])} / "
                   f"{_gib(v['tree_peak_rss_bytes'])} | {_ok(_peak(v))} |")
    for f in h.get("failed", []):
        out.append(f"| {f['path']} | {f['stage']} | failed (exit {f['returncode']}): {' '.join(f['stderr'])[:200]} "
                   "| | | | | |")
    if "spark_skipped" in h:
        out += ["", f"Spark not run: {h['spark_skipped']}."]
    return [*out, ""]


def markdown(doc: dict) -> str:
    m = doc["machine"]
    ram = f"{m['ram_bytes'] / 2**30:.1f} GiB" if m.get("ram_bytes") else "unknown"
    out = [f"## Run of {doc['started']} (finished {doc['finished']})", "",
           f"Machine: {m['cpus']} CPUs, {ram} RAM, {m['os']}, Python {m['python']}, DuckDB {m['duckdb']}. "
           f"Load average (1, 5, 15 min) before {doc['load_before']}, after {doc['load_after']} (the machine is "
           "shared with other jobs). Every stage is its own process; wall times are process wall times; peak RSS "
           "is the child's ru_maxrss (this parent stayed at "
           f"{doc['parent_peak_rss_bytes_end'] / 2**20:.0f} MiB). Code: {doc['code']['version']} "
           f"({doc['code']['src']}). Raw figures: `{doc.get('out_json', 'benchmarks/results/suite.json')}`.", ""]
    if "single" in doc:
        out += _single_md(doc["single"])
    if "growth" in doc:
        out += _growth_md(doc["growth"])
    if "history" in doc:
        out += _history_md(doc["history"])
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", type=int, default=2_200_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--workdir", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "mc-suite")
    ap.add_argument("--growth", default="", help="comma-separated sizes, e.g. 100000,500000,1000000,2200000")
    ap.add_argument("--history", type=int, default=0, help="K monthly full snapshots (0: no history run)")
    ap.add_argument("--history-models", type=int, default=2_200_000)
    ap.add_argument("--spark", action="store_true",
                    help="history: also run the --snapshots DIR commands on Spark (local mode by default)")
    ap.add_argument("--spark-master", default=None, help="with --spark: the master URL (default: the CLI's own)")
    ap.add_argument("--history-without-store", action="store_true",
                    help="history: only the --snapshots DIR paths (no import, lineage and censuses in a store)")
    ap.add_argument("--history-lineage", action="store_true",
                    help="history: also `lineage build --snapshots DIR`, then root keys on the --snapshots paths")
    ap.add_argument("--history-cases", default="",
                    help="history: comma-separated words; only the metric commands whose label contains one of "
                         "them (the read baseline, and the import and lineage builds asked for, always run)")
    ap.add_argument("--history-without-duckdb-folder", action="store_true",
                    help="history: skip the `metrics --snapshots DIR --engine duckdb` commands (e.g. a Spark-only "
                         "run; `lineage build --snapshots` of --history-lineage still runs on DuckDB)")
    ap.add_argument("--skip-single", action="store_true", help="no single-snapshot run (growth/history only)")
    ap.add_argument("--repeat-baseline", type=int, default=2, help="reads of the file (before and after)")
    ap.add_argument("--src", type=Path, default=None,
                    help="run the children on this src folder (e.g. `git archive HEAD src | tar -x -C /tmp/x`: "
                         "committed code, untouched by edits in progress); default: the installed package")
    ap.add_argument("--code-version", default=None, help="what --src holds (recorded, e.g. a commit)")
    ap.add_argument("--out-json", type=Path, default=RESULTS_JSON)
    ap.add_argument("--out-md", type=Path, default=RESULTS_MD, help="the Markdown section is appended here")
    ap.add_argument("--task", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.task:
        _task_main(args.task[0], args.task[1:])
        return 0
    if args.history and args.history_cases:
        check_history_cases([c.strip() for c in args.history_cases.split(",") if c.strip()],
                            [p for p, run in (("store", not args.history_without_store),
                                              ("folder-duckdb", not args.history_without_duckdb_folder),
                                              ("folder-spark", args.spark)) if run], args.history_lineage)
    args.workdir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("MODELCENSUS_MEMORY_LIMIT", "MODELCENSUS_DB")}
    if args.src:
        env["PYTHONPATH"] = os.pathsep.join([str(args.src.resolve()), *filter(None, [env.get("PYTHONPATH")])])
    s = Suite(args.workdir, env)
    doc: dict = {"benchmark": "run_suite: the pipeline at default settings", "synthetic": True,
                 "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine": machine(),
                 "load_before": loadavg(), "goal_peak_rss_bytes": GOAL_PEAK,
                 "parent_peak_rss_bytes": peak_rss_bytes(),
                 "code": {"src": str(args.src) if args.src else "installed package",
                          "version": args.code_version or ("not given" if args.src else _git_head())}}
    if not args.skip_single:
        doc["single"] = single(s, args.models, args.seed, args.repeat_baseline)
    if args.growth:
        sizes = [int(x) for x in args.growth.split(",") if x.strip()]
        doc["growth"] = growth(s, sizes, args.seed, doc.get("single"))
    if args.history:
        doc["history"] = history(s, args.history_models, args.history, args.seed, args.spark, args.spark_master,
                                 with_store=not args.history_without_store, with_lineage=args.history_lineage,
                                 cases=[c.strip() for c in args.history_cases.split(",") if c.strip()],
                                 without_duckdb_folder=args.history_without_duckdb_folder)
    doc["load_after"] = loadavg()
    doc["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    doc["parent_peak_rss_bytes_end"] = peak_rss_bytes()
    doc["runs"] = s.runs
    doc["out_json"] = str(args.out_json.resolve().relative_to(HERE.parent)) if args.out_json.resolve().is_relative_to(
        HERE.parent) else str(args.out_json)
    args.out_json.parent.mkdir(parents=True, exist_ok=True)
    args.out_json.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    md = markdown(doc)
    with args.out_md.open("a") as fh:
        fh.write(md)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
