"""The Python API: one documented call per command, for notebooks and scripts.

The command line is a thin skin over exactly these functions::

    modelcensus import PATH          -> import_path(store, path, source=..., observed_at=...)
    modelcensus pull hub             -> pull_hub(store, limit=..., author=..., search=..., since=...)
    modelcensus pull hub-stats       -> pull_hubstats(store, revision=...)
    modelcensus pull hub-stats --history --from D --out DIR -> pull_hubstats_history(out_dir, since=..., every=...)
    modelcensus snapshots            -> store.snapshots()
    modelcensus export SNAPSHOT      -> export(store, snapshot, fmt, out_path, table=..., registry=...)
    modelcensus demo                 -> run_demo(out_dir, models=...)
    modelcensus registry check|show  -> check_registry(files) / load_registry(files).describe_org(org)
    modelcensus lineage MODEL        -> lineage(store, model, snapshot=..., registry=...)
    modelcensus origin MODEL         -> origin(store, model, snapshot=..., registry=...)
    modelcensus lineage build        -> ensure_lineage(store, snapshot_id, registry, force=...)
    modelcensus lineage build --snapshots DIR -> build_folder_lineage(dir, engine=..., registry=..., force=...)
    modelcensus metrics NAME         -> compute_metric(store, name, by=..., population=..., as_of=..., ...)
    modelcensus metrics NAME --snapshots DIR --engine duckdb|spark
                                     -> folder_metric(dir, name, engine=..., spark_master=..., by=..., ...)
    modelcensus populations          -> list_populations(store)
    (monthly as-of censuses)         -> census_points(store, since=..., until=..., max_age_days=...)
    modelcensus report               -> build_report(store, out=..., fmt=..., registry=..., filters=...)
    modelcensus report --snapshots DIR --engine duckdb|spark
                                     -> folder_report(dir, out=..., fmt=..., engine=..., spark_master=...)
    modelcensus audit TARGET...      -> audit(targets, inventory=..., policy=..., store=..., registry=...)
    modelcensus serve                -> serve(db, host=..., port=...)   (web_app(db) for the ASGI app)
    modelcensus site --out DIR       -> write_site(db, out, models=..., orgs=...)
    (every command, at start)        -> prefer_small_pages()   (4 KiB pages for the process; see its docstring)

Example::

    from modelcensus import api
    store = api.open_store("census.duckdb")
    api.import_path(store, "models.parquet", observed_at="2025-06-01")
    reg = api.load_registry()
    print(api.origin(store, "mradermacher/OpenThinker-7B-GGUF", registry=reg))
    print(api.compute_metric(store, "downloads", by="root_country", registry=reg).to_json())
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modelcensus.audit import AuditReport, audit, load_policy
from modelcensus.demo import DemoResult, run_demo
from modelcensus.errors import InputError
from modelcensus.lineage import ensure_lineage, lineage, origin
from modelcensus.lineage.folder_build import FolderBuildResult
from modelcensus.lineage.registry import Registry, check_registry, load_registry
from modelcensus.metrics import METRIC_NAMES, MetricResult, census_points, compute_metric
from modelcensus.metrics.population import list_populations
from modelcensus.outputs import build_report
from modelcensus.sources.curated import import_population
from modelcensus.sources.hub_api import pull_hub
from modelcensus.sources.hubstats import import_hubstats_parquet
from modelcensus.sources.hubstats_history import HistoryResult, pull_hubstats_history
from modelcensus.sources.hubstats_pull import pull_hubstats
from modelcensus.sources.ingest import import_path
from modelcensus.store import ImportResult, SkipReport, Snapshot, Store, open_store
from modelcensus.store.export import export_snapshot
from modelcensus.store.resources import prefer_small_pages


def export(store: Store, snapshot: int | str | None = None, fmt: str = "parquet", out_path: str | Path | None = None,
           *, table: str = "models", registry: Registry | None = None) -> Path:
    """Write one snapshot's ``models`` (re-importable), ``origins`` or ``edges`` table as parquet, csv or jsonl.

    For ``origins`` and ``edges`` the snapshot's lineage is built first (once per registry version), which is
    why this sits here and not in the store: the store layer knows nothing of lineage.
    """
    if table in ("origins", "edges"):
        ensure_lineage(store, store.snapshot(snapshot).id, registry or load_registry())
    return export_snapshot(store, snapshot, fmt, out_path, table=table)


def build_folder_lineage(folder: str | Path, *, engine: str = "duckdb", spark_master: str | None = None,
                         registry: Registry | None = None, force: bool = False,
                         progress: Any = None) -> FolderBuildResult:
    """The lineage of every ``YYYY-MM-DD.parquet`` of ``folder``, one snapshot at a time, written beside it as
    ``lineage/DATE.origins.parquet`` and ``.edges.parquet`` (what root-keyed ``--snapshots`` metrics read).

    On DuckDB each file is imported into a scratch store under the memory cap; on Spark the same staging and
    lineage query files run on the session (docs/engines.md), and both write the same files."""
    from modelcensus.lineage.folder_build import build_folder_lineage as build
    from modelcensus.sources import hubstats
    from modelcensus.store.engine import open_engine
    from modelcensus.store.files import folder_files

    reg = registry or load_registry()
    if engine == "duckdb":
        if spark_master:
            raise InputError("--spark-master is for --engine spark")

        def load(store: Store, path: Path, day: Any) -> None:  # hub-stats Parquet only, as the metrics read it
            import_hubstats_parquet(store, path, observed_at=day.isoformat())

        return build(folder, load=load, registry=reg, force=force, progress=progress)
    folder_files(folder)  # a bad folder fails before an engine starts
    eng = open_engine(engine, spark_master=spark_master)
    with Store(":memory:") as probe:
        return build(folder, load=lambda *_: None, registry=reg, force=force, progress=progress, engine=eng,
                     stage=lambda area, path: hubstats.stage_file(area, path, probe))


def folder_metric(folder: str | Path, name: str, *, engine: str = "duckdb", spark_master: str | None = None,
                  by: str | None = None, field: str | None = None, registry: Registry | None = None,
                  population: str | None = "all", **options: Any) -> MetricResult:
    """A metric over a folder of hub-stats ``YYYY-MM-DD.parquet`` files on DuckDB or Spark, without a store
    (docs/engines.md). Each file is mapped by the hub-stats importer's own SELECT, described by DuckDB as the
    importer does (a bad file fails here, naming it); the engine then reads the rows."""
    from modelcensus.metrics.snapshot_folder import compute_folder_metric
    from modelcensus.sources import hubstats
    from modelcensus.store.engine import open_engine
    from modelcensus.store.files import folder_files

    folder_files(folder)  # a bad folder fails before an engine starts
    eng = open_engine(engine, spark_master=spark_master)
    try:
        with Store(":memory:") as probe:
            rows = hubstats.folder_row_select(eng, probe)
            return compute_folder_metric(
                folder, name, engine=eng, registry=registry or load_registry(), by=by, field=field,
                population=population, row_select=rows, check_note=rows.check_note, **options)
    finally:
        if engine == "duckdb":
            eng.close()


def folder_report(folder: str | Path, *, out: str | Path | None = None, fmt: str = "html", engine: str = "duckdb",
                  spark_master: str | None = None, registry: Registry | None = None) -> Path | dict[str, Any]:
    """The history report of a folder of hub-stats ``YYYY-MM-DD.parquet`` files on DuckDB or Spark, without a
    store: built only from the folder metrics of :func:`folder_metric` (one pass over the files for all of them;
    outputs.history_report). Returns the written path, or the JSON document when ``fmt='json'`` and no ``out``."""
    from modelcensus.outputs import REPORT_FORMATS
    from modelcensus.outputs.history_report import build_history_report
    from modelcensus.sources import hubstats
    from modelcensus.store.engine import open_engine
    from modelcensus.store.files import folder_files

    if (fmt or "html").lower() not in REPORT_FORMATS:  # bad arguments fail before an engine starts
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(REPORT_FORMATS)}")
    folder_files(folder)
    eng = open_engine(engine, spark_master=spark_master)
    try:
        with Store(":memory:") as probe:
            rows = hubstats.folder_row_select(eng, probe)
            return build_history_report(
                folder, engine=eng, registry=registry or load_registry(), out=out, fmt=fmt,
                row_select=rows, check_note=rows.check_note)
    finally:
        if engine == "duckdb":
            eng.close()


def web_app(db: str, *, registry_files: list[str] | None = None) -> Any:
    """The dashboard and JSON API as an ASGI app over the store at ``db``, opened read-only."""
    from modelcensus.server.app import build_app, wrap

    return wrap(build_app(db, registry_files=registry_files))


def serve(db: str, *, host: str = "127.0.0.1", port: int = 8000, registry_files: list[str] | None = None) -> None:
    """Run the dashboard with uvicorn until interrupted (loopback by default)."""
    import uvicorn

    uvicorn.run(web_app(db, registry_files=registry_files), host=host, port=port, log_level="warning",
                access_log=False, timeout_graceful_shutdown=5)


def prepare_serving(db: str, *, registry_files: list[str] | None = None) -> int:
    """Build every snapshot's lineage (the server itself never writes); returns how many snapshots."""
    with Store(db) as store:
        reg = load_registry(registry_files or ())
        snaps = store.snapshots()
        for snap in snaps:
            ensure_lineage(store, snap.id, reg)
        return len(snaps)


def write_site(db: str, out: str | Path, *, models: int = 300, orgs: int = 60,
               registry_files: list[str] | None = None) -> Any:
    """Write the dashboard as static files into ``out``; returns what was written."""
    from modelcensus.server.census import Census
    from modelcensus.server.site import write_site as _write_site

    census = Census(db, registry_files=registry_files)
    try:
        return _write_site(census, out, models=models, orgs=orgs)
    finally:
        census.close()


__all__ = [
    "METRIC_NAMES", "AuditReport", "DemoResult", "ImportResult", "MetricResult", "Registry", "SkipReport",
    "Snapshot", "Store", "audit", "build_report", "census_points", "check_registry", "compute_metric",
    "FolderBuildResult", "build_folder_lineage", "ensure_lineage", "export", "export_snapshot", "folder_metric",
    "folder_report",
    "import_hubstats_parquet", "import_path",
    "import_population",
    "lineage", "list_populations", "load_policy", "load_registry", "open_store", "origin", "prefer_small_pages",
    "prepare_serving",
    "HistoryResult", "pull_hub", "pull_hubstats", "pull_hubstats_history", "run_demo",
    "serve", "web_app", "write_site",
]
