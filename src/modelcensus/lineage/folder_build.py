"""The lineage of every snapshot of a ``--snapshots`` folder (``lineage build --snapshots DIR``).

History is many full snapshots; each snapshot's lineage is one build of the same rules as a store's. The
build runs per file on DuckDB, under the process memory cap: the 2.2M-model build peaks at 3.3 GiB
(benchmarks/RESULTS.md), so a laptop builds one snapshot at a time and a cluster could run files side by side.
What Spark needs from it is its output: ``DIR/lineage/YYYY-MM-DD.origins.parquet`` and
``.edges.parquet`` per snapshot, which ``metrics ... --snapshots DIR`` reads for root-keyed groups.

Each file is imported into a scratch store inside ``DIR/lineage/`` (removed afterwards), built, and its two
tables exported (atomically, as ``export --table`` writes them). A JSON sidecar ``YYYY-MM-DD.json`` records
the source file's SHA-256 and size, the rule stamp (registry version, rules, teacher and stated lists) and
the row counts; a date whose sidecar matches the file and the rules is skipped, so an interrupted run
resumes. A file that cannot be read is reported with its reason and the other dates still build.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError, ModelcensusError
from modelcensus.lineage.build import ensure_lineage, rules_stamp
from modelcensus.lineage.registry import Registry
from modelcensus.store import Store
from modelcensus.store.export import export_snapshot
from modelcensus.store.files import file_digest, folder_files

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


def _build_one(folder: Path, day: date, source: Path, load: Load, registry: Registry, rules: str, digest: str) -> int:
    """Import, build and export one date; returns the model count. Nothing half-written is left behind."""
    files = lineage_files(folder, day)
    work = files["sidecar"].parent / f".build-{day.isoformat()}"
    _remove(work)
    work.mkdir(parents=True)
    try:
        with Store(work / "census.duckdb") as store:
            load(store, source, day)
            snap = store.snapshot(None)
            ensure_lineage(store, snap.id, registry)
            for table in TABLES:
                export_snapshot(store, snap.id, "parquet", work / f"{table}.parquet", table=table)
            models = snap.row_count
        ids = {table: _file_id(work / f"{table}.parquet") for table in TABLES}
        for table in TABLES:
            os.replace(work / f"{table}.parquet", files[table])
        doc = {"date": day.isoformat(), "source_file": source.name, "source_sha256": digest,
               "source_bytes": source.stat().st_size, "rules": rules, "models": models, "tables": ids,
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
                         progress: Callable[[FolderBuildItem], None] | None = None) -> FolderBuildResult:
    """Build (or find current) the lineage of every dated file of ``folder``; see the module docstring."""
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
                models = _build_one(root, day, source, load, registry, rules, digest)
                item = FolderBuildItem(day, "built", models, round((datetime.now(UTC) - t0).total_seconds(), 1))
        except (ModelcensusError, OSError) as exc:
            item = FolderBuildItem(day, "failed", reason=str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        result.items.append(item)
        if progress is not None:
            progress(item)
    return result


__all__ = ["LINEAGE_DIR", "FolderBuildItem", "FolderBuildResult", "build_folder_lineage", "is_current",
           "lineage_files", "read_sidecar"]
