"""The snapshot store: an embedded DuckDB file with a versioned schema.

Every import runs inside one transaction, so a failed import leaves the store exactly
as it was; re-importing the same snapshot (same fingerprint) is a no-op.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from platformdirs import user_data_dir

from modelcensus.errors import InputError, ModelcensusError, NotFoundError
from modelcensus.store import staging
from modelcensus.store.engine_duckdb import forget_store_kinds
from modelcensus.store.resources import apply_memory_limit, duckdb_failure, out_of_memory_message
from modelcensus.store.sql import sql_literal

ENV_DB = "MODELCENSUS_DB"
def default_db_path() -> Path:
    """``$MODELCENSUS_DB`` or a file in the user's data directory."""
    env = os.environ.get(ENV_DB)
    if env:
        return Path(env)
    return Path(user_data_dir("modelcensus", appauthor=False)) / "modelcensus.duckdb"


@dataclass
class Snapshot:
    """One dated observation of (part of) the Hub."""

    id: int
    source: str
    source_ref: str | None
    observed_at: datetime
    imported_at: datetime
    row_count: int
    skipped_count: int
    complete: bool
    synthetic: bool
    notes: dict[str, Any] = field(default_factory=dict)
    scope: str = "partial"  # full | partial | delta (SCOPES; docs/census.md)
    filter: dict[str, Any] | None = None  # what defines a partial/delta snapshot (author, tree_roots, file...)

    def as_dict(self) -> dict[str, Any]:
        """The snapshot block of the origin JSON and of every export's metadata."""
        return {
            "id": self.id,
            "observed_at": _iso(self.observed_at),
            "source": self.source,
            "source_ref": self.source_ref,
            "imported_at": _iso(self.imported_at),
            "rows": self.row_count,
            "skipped": self.skipped_count,
            "complete": self.complete,
            "synthetic": self.synthetic,
            "scope": self.scope,
            "filter": self.filter,
        }


def _iso(ts: datetime | None) -> str | None:
    if ts is None:
        return None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ReadOnlyStoreError(ModelcensusError):
    """A write was attempted on a store opened read-only (a bug if it ever reaches the user: exit 3)."""

    exit_code = 3


def _migration_files() -> list[Any]:
    return sorted((p for p in resources.files("modelcensus.store").joinpath("migrations").iterdir()
                   if p.name.endswith(".sql")), key=lambda p: p.name)


def latest_migration() -> int:
    """The schema version this code writes (the highest ``NNN_`` migration)."""
    return max((int(f.name.split("_", 1)[0]) for f in _migration_files()), default=0)


@dataclass
class SkipReport:
    """Rows that did not land: a count, counts per reason and the first few examples."""

    count: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    max_examples: int = 10

    def add(self, reason: str, model_id: str | None = None, position: int | None = None) -> None:
        self.count += 1
        self.reasons[reason] = self.reasons.get(reason, 0) + 1
        if len(self.examples) < self.max_examples:
            self.examples.append({"id": model_id, "position": position, "reason": reason})

    def merge(self, other: SkipReport) -> None:
        for ex in other.examples:
            if len(self.examples) < self.max_examples:
                self.examples.append(ex)
        for r, n in other.reasons.items():
            self.reasons[r] = self.reasons.get(r, 0) + n
        self.count += other.count

    def as_dict(self) -> dict[str, Any]:
        return {"count": self.count, "reasons": self.reasons, "examples": self.examples}


@dataclass
class SnapshotMeta:
    """What a source says about the snapshot it is producing."""

    source: str
    observed_at: datetime
    source_ref: str | None = None
    fingerprint: str | None = None
    synthetic: bool = False
    complete: bool = True
    notes: dict[str, Any] = field(default_factory=dict)
    scope: str = "partial"  # what the snapshot covers: a source says "full" only when it knows
    filter: dict[str, Any] | None = None


SCOPES = ("full", "partial", "delta")


def check_scope(scope: str, what: str = "--scope") -> str:
    """A snapshot scope, or InputError listing the valid ones."""
    if scope not in SCOPES:
        raise InputError(f"{what} {scope!r}: expected one of {', '.join(SCOPES)}")
    return scope


@dataclass
class ImportResult:
    snapshot: Snapshot
    already_present: bool
    skipped: SkipReport


class Store:
    """A DuckDB-backed snapshot store. Use as a context manager or call :meth:`close`."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False,
                 memory_limit: str | None = None) -> None:
        """``memory_limit`` (e.g. ``"4GB"``; else ``$MODELCENSUS_MEMORY_LIMIT``; else
        :func:`default_memory_limit`: 3/4 of the lower of 4 GiB and half the machine's RAM) caps DuckDB's
        buffer memory; beyond it, large operators spill to ``PATH.tmp/``."""
        try:
            self.path = Path(path).expanduser() if path is not None else default_db_path()
        except RuntimeError:  # '~user' of no such user
            raise InputError(f"store {path}: no such home folder") from None
        self.read_only = read_only
        self._after_rollback: list[str] = []  # settings a failed block could not restore (see bulk_load)
        if str(self.path) != ":memory:":
            # DuckDB reads '?' as the start of options (its WAL went elsewhere); a relative 'md:x' or 'sqlite:x'
            # as another database kind (an extension download): DuckDB gets the absolute path
            if "?" in str(self.path):
                raise InputError(f"store {self.path}: DuckDB does not read a path with '?' in it as a file; "
                                 "choose another path")
            if read_only and not self.path.is_file():  # reading never creates a store (nor its folders)
                what = "not a file" if self.path.exists() else "no such file"
                raise NotFoundError(f"store {self.path}: {what} (`modelcensus import`, `pull` or `demo` "
                                    "create a store)")
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a file where a folder should be, no permission, ...
                raise InputError(f"store {self.path}: cannot create its folder ({exc.strerror or exc})") from None
        try:
            self.con = duckdb.connect(self._target(), read_only=read_only)
        except duckdb.Error as exc:
            raise InputError(f"store {self.path}: cannot open ({duckdb_failure(exc)})") from None
        if read_only and self._stored_version() < latest_migration():
            # written by an older modelcensus: migrate once (a write), then carry on reading
            self.con.close()
            self.read_only = False
            try:
                self.con = duckdb.connect(self._target())
            except duckdb.Error as exc:
                raise InputError(f"store {self.path}: cannot open to upgrade its schema "
                                 f"({duckdb_failure(exc)})") from None
        self._configure_memory(memory_limit)
        if not self.read_only:
            self.migrate()

    def _target(self) -> str:
        return ":memory:" if str(self.path) == ":memory:" else str(self.path.absolute())

    def _configure_memory(self, memory_limit: str | None) -> None:
        # DuckDB draws its own progress bar on stdout for queries over 2 s: that would corrupt the one JSON
        # document a --format json command prints (and floods logs), so it is off; commands report progress
        # on stderr themselves
        self._exec("SET enable_progress_bar = false")
        # months and dates in UTC, as the --snapshots engines read them: DuckDB takes the machine's zone
        # otherwise, and strftime(created_at, '%Y-%m') put a model made on 30 Sept 23:00 UTC in October on a
        # UTC+14 machine (review11 F1: store and folder derivatives disagreed there). GLOBAL: a cursor (the web
        # server's per-thread reader) starts from the global settings, not this connection's (review12 R12-1)
        self._exec("SET GLOBAL TimeZone = 'UTC'")
        if str(self.path) != ":memory:":  # spill files beside the store, not in the working directory
            tmp = str(self.path) + ".tmp"
            self._exec("SET temp_directory = " + sql_literal(tmp))
        try:
            self.memory_limit_source = apply_memory_limit(self.con, memory_limit)
        except InputError:
            self.con.close()
            raise

    @property
    def memory_limit(self) -> str:
        """DuckDB's effective memory_limit on this connection, as DuckDB reports it (e.g. ``3.7 GiB``)."""
        row = self._one("SELECT current_setting('memory_limit')")
        return str(row[0]) if row else ""

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Settings for large INSERT ... SELECT statements, restored afterwards.

        ``preserve_insertion_order = false`` lets DuckDB write rows in whatever order its threads
        produce them (no reordering buffer); nothing in the store depends on physical row order.
        """
        self._restore_settings()  # a failed block rolled back by someone else (an engine's transaction)
        row = self._one("SELECT current_setting('preserve_insertion_order')")
        previous = bool(row[0]) if row else True
        self._exec("SET preserve_insertion_order = false")
        restore = f"SET preserve_insertion_order = {'true' if previous else 'false'}"
        nested_from = len(self._after_rollback)
        try:
            yield
        finally:
            try:
                self._exec(restore)
                # this block's value is the one to keep: what blocks nested in it queued must not replay later
                # (review27 R27-2: an inner block's queued 'false' replayed after the outer block had restored)
                del self._after_rollback[nested_from:]
            except duckdb.Error:
                # the block failed inside a transaction, which refuses every statement until it is rolled back:
                # restored after the ROLLBACK (review26 P3: the setting stayed false for the rest of the process)
                self._after_rollback.append(restore)

    def _restore_settings(self) -> None:
        """Run the restores a failed block left pending, in the order the blocks ended (the outermost block's
        value is set last); those still refused stay pending (the transaction is not rolled back yet)."""
        while self._after_rollback:
            try:
                self._exec(self._after_rollback[0])
            except duckdb.Error:
                return
            self._after_rollback.pop(0)

    # -- lifecycle -------------------------------------------------------------
    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def check_writable(self) -> None:
        """:class:`ReadOnlyStoreError` on a store opened read-only: a step that will write says so before it
        starts (callers such as ``cli.common.reading`` then re-run on a writable store)."""
        if self.read_only:
            raise ReadOnlyStoreError(f"store {self.path}: opened read-only, and this step writes to it")

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: commit on success, roll back on any exception.

        On a store opened read-only, raises :class:`ReadOnlyStoreError` before anything runs (callers
        such as ``cli.common.reading`` then re-run on a writable store)."""
        self.check_writable()
        self._exec("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self._exec("ROLLBACK")
            self._restore_settings()
            forget_store_kinds(self)
            raise
        else:
            try:
                self._exec("COMMIT")
            except duckdb.Error as exc:  # the commit's own writes can run out of memory or of spill disk
                if (why := out_of_memory_message(exc)) is None:
                    raise
                with suppress(duckdb.Error):  # DuckDB has aborted the transaction; nothing was written
                    self._exec("ROLLBACK")
                self._restore_settings()
                forget_store_kinds(self)
                raise InputError(f"store {self.path}: cannot commit ({why})") from exc

    def _exec(self, sql: str, params: list[Any] | None = None) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def _one(self, sql: str, params: list[Any] | None = None) -> tuple | None:
        """First row, fully consuming the result (DuckDB 2 refuses new work on an unfinished one)."""
        rows = self._exec(sql, params).fetchall()
        return rows[0] if rows else None

    # -- schema ----------------------------------------------------------------
    def _stored_version(self) -> int:
        """The schema version without creating anything (works on a read-only connection)."""
        try:
            row = self._one("SELECT max(version) FROM schema_version")
        except duckdb.CatalogException:  # an empty file or one made before versioning
            return 0
        return int(row[0]) if row and row[0] is not None else 0

    def schema_version(self) -> int:
        self._exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = self._one("SELECT max(version) FROM schema_version")
        return int(row[0]) if row and row[0] is not None else 0

    def migrate(self) -> None:
        """Apply migrations ``store/migrations/NNN_*.sql`` newer than the stored version."""
        current = self.schema_version()
        for f in _migration_files():
            version = int(f.name.split("_", 1)[0])
            if version <= current:
                continue
            with self.transaction() as con:
                con.execute(f.read_text())
                con.execute("INSERT INTO schema_version VALUES (?)", [version])

    # -- snapshots -------------------------------------------------------------
    _SNAP_COLS = ("id, source, source_ref, observed_at, imported_at, row_count, skipped_count, "
                  "complete, synthetic, notes, scope, filter")

    def _snap(self, row: tuple) -> Snapshot:
        notes = json.loads(row[9]) if row[9] else {}
        flt = json.loads(row[11]) if row[11] else None
        return Snapshot(int(row[0]), row[1], row[2], row[3], row[4], int(row[5]), int(row[6]),
                        bool(row[7]), bool(row[8]), notes, row[10] or "partial", flt)

    def snapshots(self) -> list[Snapshot]:
        rows = self._exec(
            f"SELECT {self._SNAP_COLS} FROM snapshots ORDER BY observed_at, id").fetchall()
        return [self._snap(r) for r in rows]

    def snapshot(self, ref: int | str | None = None, *, complete_only: bool = False) -> Snapshot:
        """A snapshot by id; ``None`` or ``"latest"`` gives the latest by observation time."""
        if ref is None or str(ref).lower() == "latest":
            where = "WHERE complete" if complete_only else ""
            row = self._one(
                f"SELECT {self._SNAP_COLS} FROM snapshots {where} "
                "ORDER BY observed_at DESC, id DESC LIMIT 1")
            if row is None:
                raise NotFoundError("the store holds no snapshot yet (run `modelcensus import` or `pull`)")
            return self._snap(row)
        try:
            sid = int(ref)
        except (TypeError, ValueError):
            raise InputError(f"snapshot {ref!r}: expected a snapshot id or 'latest'") from None
        row = self._one(f"SELECT {self._SNAP_COLS} FROM snapshots WHERE id = ?", [sid])
        if row is None:
            raise NotFoundError(f"snapshot {sid}: not in the store (see `modelcensus snapshots`)")
        return self._snap(row)

    def find_fingerprint(self, fingerprint: str) -> Snapshot | None:
        row = self._one(
            f"SELECT {self._SNAP_COLS} FROM snapshots WHERE fingerprint = ?", [fingerprint])
        return self._snap(row) if row else None

    # -- writing ---------------------------------------------------------------
    def create_snapshot(self, meta: SnapshotMeta, *, complete: bool | None = None) -> int:
        """Insert the snapshot row (call inside a transaction) and return its id."""
        row = self._one(
            "INSERT INTO snapshots (source, source_ref, observed_at, imported_at, complete, synthetic, "
            "fingerprint, notes, scope, filter) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [meta.source, meta.source_ref, meta.observed_at, datetime.now(UTC),
             meta.complete if complete is None else complete, meta.synthetic, meta.fingerprint,
             json.dumps(meta.notes, default=str), check_scope(meta.scope, "snapshot scope"),
             json.dumps(meta.filter, default=str, sort_keys=True) if meta.filter else None],
        )
        assert row is not None
        return int(row[0])

    def stage(self, snapshot_id: int, relation: str, skipped: SkipReport, *, validated: bool = False) -> int:
        """Validate the staged rows of ``relation`` and add the good ones to ``snapshot_id``.

        Returns the number of rows added; rejected rows are added to ``skipped``. ``validated``:
        ``relation`` is a materialised :func:`staging.validate_statements` (rules evaluated once).
        """
        if validated:  # counted in SQL: a file of bad rows never becomes one Python object per row
            for reason, n in self._exec(f"SELECT _reason, count(*) FROM {relation} "
                                        "WHERE _reason IS NOT NULL GROUP BY _reason").fetchall():
                skipped.count += n
                skipped.reasons[reason] = skipped.reasons.get(reason, 0) + n
            room = max(skipped.max_examples - len(skipped.examples), 0)
            for pos, mid, reason in self._exec(
                    f"{staging.rejected_sql(relation, validated=True)} LIMIT {room}").fetchall():
                skipped.examples.append({"id": mid, "position": pos, "reason": reason})
        else:
            for pos, mid, reason in self._exec(staging.rejected_sql(relation)).fetchall():
                skipped.add(reason, mid, pos)
        with self.bulk_load():
            self._exec(staging.hub_declarations_insert_sql(relation, snapshot_id, validated=validated)).fetchall()
            row = self._one(staging.models_insert_sql(relation, snapshot_id, validated=validated))
        return int(row[0]) if row else 0  # an INSERT returns the number of rows it wrote

    def stage_arrow(self, snapshot_id: int, table: pa.Table | pa.RecordBatch, skipped: SkipReport) -> int:
        """Stage an Arrow table in the loose staging layout (see :mod:`staging`)."""
        name = "_staged_batch"
        self.con.register(name, table)
        try:
            return self.stage(snapshot_id, name, skipped)
        finally:
            # if the transaction is already aborted, the rollback drops the view
            with suppress(duckdb.Error):
                self.con.unregister(name)

    def _count(self, snapshot_id: int) -> int:
        row = self._one("SELECT count(*) FROM models WHERE snapshot_id = ?", [snapshot_id])
        return int(row[0]) if row else 0

    def set_scope(self, snapshot_id: int, scope: str, filter: dict[str, Any] | None = None) -> None:
        """Record what a snapshot covers (a crawl learns it when it ends; ``import --scope`` overrides it)."""
        self._exec("UPDATE snapshots SET scope = ?, filter = ? WHERE id = ?",
                   [check_scope(scope, "snapshot scope"),
                    json.dumps(filter, default=str, sort_keys=True) if filter else None, snapshot_id])

    def set_notes(self, snapshot_id: int, notes: dict[str, Any]) -> None:
        """Replace a snapshot's notes (``import --scope`` records that the user overrode what the source said)."""
        self._exec("UPDATE snapshots SET notes = ? WHERE id = ?", [json.dumps(notes, default=str), snapshot_id])

    def finish_snapshot(self, snapshot_id: int, skipped: SkipReport, *, complete: bool = True,
                        extra_notes: dict[str, Any] | None = None) -> None:
        """Derive card/tag declarations and record counts. Call inside the import transaction."""
        self._exec("DELETE FROM declarations WHERE snapshot_id = ? AND source <> 'hub'", [snapshot_id])
        self._exec(staging.declarations_insert_sql(snapshot_id))
        notes_row = self._one("SELECT notes FROM snapshots WHERE id = ?", [snapshot_id])
        notes = json.loads(notes_row[0]) if notes_row and notes_row[0] else {}
        notes["skipped"] = skipped.as_dict()
        if extra_notes:
            notes.update(extra_notes)
        self._exec(
            "UPDATE snapshots SET row_count = ?, skipped_count = ?, complete = ?, notes = ? WHERE id = ?",
            [self._count(snapshot_id), skipped.count, complete, json.dumps(notes, default=str), snapshot_id],
        )

    def import_tables(self, meta: SnapshotMeta, tables: Iterable[pa.Table | pa.RecordBatch],
                      skipped: SkipReport | None = None) -> ImportResult:
        """Import one snapshot from Arrow batches in the staging layout, in one transaction."""
        skipped = skipped or SkipReport()
        if meta.fingerprint:
            existing = self.find_fingerprint(meta.fingerprint)
            if existing is not None:
                return ImportResult(existing, True, SkipReport())
        with self.transaction():
            sid = self.create_snapshot(meta, complete=False)
            for table in tables:
                self.stage_arrow(sid, table, skipped)
            self.finish_snapshot(sid, skipped, complete=meta.complete)
        return ImportResult(self.snapshot(sid), False, skipped)

    def delete_snapshot(self, snapshot_id: int) -> None:
        with self.transaction() as con:
            for table, col in (("models", "snapshot_id"), ("declarations", "snapshot_id"),
                               ("crawl_state", "snapshot_id"), ("snapshots", "id")):
                con.execute(f"DELETE FROM {table} WHERE {col} = ?", [snapshot_id])


def open_store(path: str | Path | None = None, *, read_only: bool = False,
               memory_limit: str | None = None) -> Store:
    """Open (creating and migrating if needed) the store at ``path`` or the default location."""
    return Store(path, read_only=read_only, memory_limit=memory_limit)
