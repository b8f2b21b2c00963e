"""The lineage of every snapshot of a ``--snapshots`` folder (``lineage build --snapshots DIR``).

History is many full snapshots; each snapshot's lineage is one build of the same rules as a store's, one file
at a time, written as ``DIR/lineage/YYYY-MM-DD.origins.parquet`` and ``.edges.parquet`` for
``metrics ... --snapshots DIR`` to read for root-keyed groups.

On DuckDB (the default) each file is imported into a scratch store inside ``DIR/lineage/`` (removed
afterwards) under the process memory cap (the 2.2M-model build peaks at 3.3-3.5 GiB), built, and its two tables
exported (atomically, as ``export --table`` writes them). On another engine (Spark) the caller's ``stage``
puts the file on the engine, the staging query files make the store's rows there and the same lineage query
files build them; both tables are written in the DuckDB path's columns, types and order. A JSON sidecar
``YYYY-MM-DD.json`` records the source file's SHA-256 and size, the rule stamp (registry version, rules,
teacher and stated lists) and the row counts; a date whose sidecar matches the file and the rules is skipped,
whichever engine built it, so an interrupted run resumes. A file that cannot be read is reported with its
reason and the other dates still build.
"""
from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from modelcensus.errors import InputError, ModelcensusError
from modelcensus.lineage.build import EDGES_OUT, ORIGINS_OUT, build_tables, ensure_lineage, rules_stamp
from modelcensus.lineage.registry import Registry
from modelcensus.store import Store
from modelcensus.store.engine import Engine, EngineUnavailableError, Scratch, scratch
from modelcensus.store.engine_duckdb import DuckDBEngine
from modelcensus.store.export import TABLE_COLUMNS, TABLE_ORDER, export_snapshot
from modelcensus.store.files import file_digest, folder_files
from modelcensus.store.staging_engine import make_store_rows

LINEAGE_DIR = "lineage"
TABLES = ("origins", "edges")


@dataclass
class FolderBuildItem:
    """One date: ``built``, ``present`` (same file, same rules) or ``failed`` (with the reason)."""

    date: date
    status: str
    models: int | None = None
    seconds: float | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"date": self.date.isoformat(), "status": self.status, "models": self.models,
                "seconds": self.seconds, "reason": self.reason}


@dataclass
class FolderBuildResult:
    folder: Path
    rules: str
    items: list[FolderBuildItem] = field(default_factory=list)

    @property
    def failed(self) -> list[FolderBuildItem]:
        return [i for i in self.items if i.status == "failed"]

    def as_dict(self) -> dict[str, Any]:
        return {"folder": str(self.folder), "lineage_folder": str(self.folder / LINEAGE_DIR), "rules": self.rules,
                "items": [i.as_dict() for i in self.items]}


def lineage_files(folder: str | Path, day: date) -> dict[str, Path]:
    """Where the lineage of the snapshot of ``day`` lives: ``origins``, ``edges`` and the ``sidecar``."""
    out = Path(folder) / LINEAGE_DIR
    return {"origins": out / f"{day.isoformat()}.origins.parquet", "edges": out / f"{day.isoformat()}.edges.parquet",
            "sidecar": out / f"{day.isoformat()}.json"}


SIDECAR_MAX_BYTES = 64 * 1024  # a sidecar is a few hundred bytes; anything larger is not ours


def read_sidecar(folder: str | Path, day: date) -> dict[str, Any] | None:
    """The sidecar of a built date, or None when absent, not a small regular file, or not a JSON object
    (then the date is built again): a sidecar is untrusted input like everything in the folder."""
    path = lineage_files(folder, day)["sidecar"]
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > SIDECAR_MAX_BYTES:
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _file_id(path: Path) -> dict[str, Any]:
    return {"bytes": path.stat().st_size, "sha256": file_digest(path)}


def is_current(folder: str | Path, day: date, source: Path, rules: str, digest: str | None = None) -> bool:
    """The date's lineage files are the very files built from this very snapshot file by these rules: the
    sidecar names the source's and each table's size and SHA-256, so a table replaced, emptied or copied from
    another date after the build is not current."""
    side = read_sidecar(folder, day)
    files = lineage_files(folder, day)
    if side is None or side.get("rules") != rules or side.get("source_bytes") != source.stat().st_size:
        return False
    tables = side.get("tables")
    if not isinstance(tables, dict):
        return False
    for t in TABLES:
        f = files[t]
        if f.is_symlink() or not f.is_file() or tables.get(t) != _file_id(f):
            return False
    return side.get("source_sha256") == (digest or file_digest(source))


# how a file enters a scratch store: the caller's importer (api passes the hub-stats Parquet importer), since the
# lineage stage reads the store and never imports sources itself
Load = Callable[[Store, Path, date], None]
# how a file is staged on another engine: registers it in the scratch area and returns the staged relation's name
Stage = Callable[[Scratch, Path], str]
_SID = 1  # the one snapshot an engine build holds


def _store_tables(work: Path, day: date, source: Path, load: Load, registry: Registry) -> int:
    """DuckDB: import into a scratch store, build, export both tables into ``work``; the model count. A folder
    whose path has a '?' (which DuckDB cannot open a store under) gets its scratch store in the temp folder."""
    with ExitStack() as stack:
        place = Path(stack.enter_context(TemporaryDirectory(prefix="modelcensus-build-"))) if "?" in str(work) else work
        store = stack.enter_context(Store(place / "census.duckdb"))
        load(store, source, day)
        snap = store.snapshot(None)
        ensure_lineage(store, snap.id, registry)
        for table in TABLES:
            export_snapshot(store, snap.id, "parquet", work / f"{table}.parquet", table=table)
        return snap.row_count


def _engine_tables(engine: Engine, work: Path, source: Path, stage: Stage, registry: Registry) -> int:
    """Another engine (Spark): stage the file, make the store's rows and build with the same query files
    (tests/lineage/test_spark_build.py checks every statement against DuckDB), then write both tables in the
    DuckDB path's columns, types and order; the model count."""
    schemas = _table_schemas()
    made = ("models", "declarations", EDGES_OUT, ORIGINS_OUT)
    try:
        with scratch(engine) as area:
            counts = make_store_rows(engine, stage(area, source), _SID)
        build_tables(engine, _SID, registry)
        for table, name in (("origins", ORIGINS_OUT), ("edges", EDGES_OUT)):
            _write_output(engine, name, table, schemas[table], work / f"{table}.parquet", source)
        return int(counts["models"])
    finally:
        for name in made:  # best effort: a failed build's own error is the date's reason (review21 R21-2)
            with suppress(ModelcensusError):
                engine.drop(name)


def _write_output(engine: Engine, name: str, table: str, schema: pa.Schema, path: Path, source: Path) -> None:
    """Collect one finished table from the engine, sorted as the DuckDB path exports it, and write it to ``path``.

    A function of its own so the collected rows are freed when it returns: in a loop the origins table stayed
    alive while the edges were collected. Collecting and writing a 2.2M-model build's two tables from Spark, the
    driver's Python peaked at 0.89 GiB that way and at 0.56 GiB this way (twice each, the same files)."""
    rows = engine.query(f"SELECT {', '.join(TABLE_COLUMNS[table])} FROM {name} ORDER BY {TABLE_ORDER[table]}")
    meta = {b"modelcensus.lineage": json.dumps({"table": table, "engine": engine.name,
                                                "source_file": source.name}).encode()}
    pq.write_table(_as_table(rows, schema, table).replace_schema_metadata(meta), path)


def _table_schemas() -> dict[str, pa.Schema]:
    """The Arrow schema of each exported lineage table, NOT NULL included, from the store's own tables (one
    definition: the migrations)."""
    with Store(":memory:") as store:
        eng = DuckDBEngine.from_store(store)
        out = {}
        for t in TABLES:
            schema = eng.query(f"SELECT {', '.join(TABLE_COLUMNS[t])} FROM {t} LIMIT 0").schema
            required = set(eng.query("SELECT column_name FROM duckdb_columns() WHERE table_name = "
                                     f"'{t}' AND NOT is_nullable").column(0).to_pylist())
            out[t] = pa.schema([f.with_nullable(f.name not in required) for f in schema])
        return out


def _as_table(rows: pa.Table, schema: pa.Schema, table: str) -> pa.Table:
    """``rows`` in the DuckDB path's types; a NULL where the store requires a value is an error, as there."""
    for f in schema:
        if not f.nullable and rows.column(f.name).null_count:
            raise InputError(f"the {table} table built on this engine has NULL {f.name} values (not allowed)")
    return rows.cast(schema)


def _build_one(folder: Path, day: date, source: Path, make: Callable[[Path], int], rules: str, digest: str,
               engine: str) -> int:
    """Build one date's two tables into a scratch folder with ``make`` and move them into place, sidecar last;
    returns the model count. Nothing half-written is left behind."""
    files = lineage_files(folder, day)
    work = files["sidecar"].parent / f".build-{day.isoformat()}"
    _remove(work)
    work.mkdir(parents=True)
    try:
        models = make(work)
        ids = {table: _file_id(work / f"{table}.parquet") for table in TABLES}
        for table in TABLES:
            os.replace(work / f"{table}.parquet", files[table])
        doc = {"date": day.isoformat(), "source_file": source.name, "source_sha256": digest,
               "source_bytes": source.stat().st_size, "rules": rules, "models": models, "tables": ids,
               "engine": engine,
               "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
        tmp = files["sidecar"].with_name(files["sidecar"].name + ".partial")
        tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, files["sidecar"])  # last: a sidecar means both tables are complete
        return models
    finally:
        _remove(work)


def _remove(path: Path) -> None:
    """Remove a scratch folder, or only the link when it is a symlink (never what it points at)."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path, ignore_errors=True)


def build_folder_lineage(folder: str | Path, *, load: Load, registry: Registry, force: bool = False,
                         progress: Callable[[FolderBuildItem], None] | None = None,
                         engine: Engine | None = None, stage: Stage | None = None) -> FolderBuildResult:
    """Build (or find current) the lineage of every dated file of ``folder``; see the module docstring.
    With ``engine`` (and ``stage``), each file is built on that engine instead of a DuckDB scratch store."""
    if (engine is None) != (stage is None):
        raise InputError("an engine build needs both the engine and how to stage a file on it")
    root = Path(folder)
    dated = folder_files(root)
    rules = rules_stamp(registry)
    out = root / LINEAGE_DIR
    try:
        out.mkdir(exist_ok=True)
        if out.is_symlink() or not out.is_dir():
            raise InputError(f"{out}: not a folder (the lineage build writes its files there)")
        for stale in out.glob(".build-*"):  # scratch stores of an interrupted run
            _remove(stale)
    except OSError as exc:
        raise InputError(f"{out}: cannot write the lineage files there ({exc.strerror or exc})") from None
    result = FolderBuildResult(root, rules)
    for day, source in dated:
        t0 = datetime.now(UTC)
        try:
            digest = file_digest(source)
            if not force and is_current(root, day, source, rules, digest):
                side = read_sidecar(root, day) or {}
                item = FolderBuildItem(day, "present", side.get("models"))
            else:
                # the sidecar alone makes a date current: without it an old build cannot pass for a new one, and
                # a failed rebuild leaves the old tables (replaced only when the new ones are complete)
                lineage_files(root, day)["sidecar"].unlink(missing_ok=True)
                def make(work: Path, day: date = day, source: Path = source) -> int:
                    if engine is not None and stage is not None:
                        return _engine_tables(engine, work, source, stage, registry)
                    return _store_tables(work, day, source, load, registry)

                models = _build_one(root, day, source, make, rules, digest,
                                    engine.name if engine is not None else "duckdb")
                item = FolderBuildItem(day, "built", models, round((datetime.now(UTC) - t0).total_seconds(), 1))
        except EngineUnavailableError:
            raise  # the engine is gone: every date after this one would fail the same way
        except (ModelcensusError, OSError) as exc:
            item = FolderBuildItem(day, "failed", reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        result.items.append(item)
        if progress is not None:
            progress(item)
    return result


__all__ = ["LINEAGE_DIR", "FolderBuildItem", "FolderBuildResult", "build_folder_lineage", "is_current",
           "lineage_files", "read_sidecar"]
