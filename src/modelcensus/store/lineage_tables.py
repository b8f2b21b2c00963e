"""The store's lineage tables (``edges``, ``origins``, ``lineage_builds``): written and read here, not by the build.

The lineage build computes its two finished tables on an engine over the store's connection; this module
swaps them in for a snapshot (its old rows out, the new ones in, sorted for look-ups, the build's row) and
reads the build's row back. The store owns its connection and its tables; the build only names tables.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, NamedTuple

from modelcensus.store.engine import check_name
from modelcensus.store.resources import reported_size_bytes
from modelcensus.store.store import Store

EDGE_COLUMNS = ("child_id", "parent_id", "relation", "inferred", "grade", "evidence", "structural")
ORIGIN_COLUMNS = ("model_id", "publisher_namespace", "publisher_org", "publisher_country", "publisher_org_type",
                  "root_id", "root_org", "root_country", "root_org_type", "weight", "depth", "grade", "family",
                  "teacher_id", "teacher_org", "teacher_country", "problems")

# single-model views (origin, lineage, audit) look rows up by model id: ART indexes make that a point look-up
# instead of a row-group scan, but DuckDB uses them only for a lone equality on the indexed column, so the look-ups
# pick their form per store (lineage.origin._by_id_alone; the SQL in store.lookups); DuckDB keeps them up to date
# incrementally
LOOKUP_INDEXES = {"lineage_edges_child": "edges (child_id)", "lineage_origins_model": "origins (model_id)"}
# how many of them the store has (a scalar query; the names are this module's constants)
PRESENT_LOOKUP_INDEXES = ("SELECT count(DISTINCT index_name) FROM duckdb_indexes() WHERE index_name IN ("
                          + ", ".join(f"'{name}'" for name in LOOKUP_INDEXES) + ")")


# The indexes cover every snapshot's rows, and a build's INSERT brings them into DuckDB's memory, where they count
# against memory_limit: 1.46-1.55 GiB after builds 22 and 23 of a store of 24 snapshots holding about 62M edge and
# origin rows (about 25 bytes a row). On a larger history (52.8M models rows; 103.6M edge and origin rows after 22
# builds) the 23rd build ran out of memory in its COMMIT under the 3 GiB default, a FATAL error that ends the
# process; the same build without the indexes passed (90.8 s, 3.35 GiB peak RSS; benchmarks/RESULTS.md). Their
# memory follows the distinct ids more than the rows (about 150-160 bytes an id): on stores of one to three
# snapshots review37 measured 35-62 bytes a row after a commit. So a store keeps them only while they fit a quarter
# of memory_limit at 64 bytes a row (12.6M rows under 3 GiB: two snapshots of 2.2M models). Past that,
# single-model look-ups scan row groups, as they do anyway beyond 20 built snapshots (lineage.origin), where the
# rows of one snapshot sorted by id are found in one row group: 4-5 ms a look-up on that 22-snapshot store,
# against 14-15 ms through the index.
INDEX_BYTES_PER_ROW = 64
INDEX_MEMORY_SHARE = 0.25


def memory_limit_bytes(store: Store) -> int | None:
    """DuckDB's memory_limit on the store's connection in bytes (None when DuckDB reports none it can say)."""
    return reported_size_bytes(store.memory_limit)


def lookup_indexes_fit(store: Store, new_rows: int = 0) -> bool:
    """Whether the look-up indexes over the store's edge and origin rows (and ``new_rows`` about to be written)
    fit their share of memory_limit (see ``INDEX_BYTES_PER_ROW``). An unknown limit: they are kept, as before."""
    limit = memory_limit_bytes(store)
    if limit is None:
        return True
    row = store.con.execute("SELECT (SELECT count(*) FROM edges) + (SELECT count(*) FROM origins)").fetchone()
    rows = int(row[0]) if row else 0
    return (rows + new_rows) * INDEX_BYTES_PER_ROW <= limit * INDEX_MEMORY_SHARE


def drop_lookup_indexes_past_budget(store: Store, edges_table: str, origins_table: str) -> bool:
    """Before a build's swap: drop the look-up indexes when they would not fit once the build's rows (two tables
    on the store's connection) are in, so its INSERT does not bring them into memory. The snapshot's old rows, about
    to be replaced, are still counted (a rebuild at the edge drops them one build early). Returns whether they were
    dropped."""
    row = store.con.execute(f"SELECT (SELECT count(*) FROM {check_name(edges_table)}) + "
                            f"(SELECT count(*) FROM {check_name(origins_table)})").fetchone()
    if lookup_indexes_fit(store, int(row[0]) if row else 0):
        return False
    drop_lookup_indexes(store)
    return True


def create_lookup_indexes(store: Store) -> None:
    """The look-up indexes, if missing. Called after the build's transaction has committed, never inside it:
    an index created in the transaction that deleted a snapshot's old rows made that COMMIT take 73 s at 1M
    models (the deleted rows are taken out of the new index at commit), against 0.04 s without it."""
    for name, on in LOOKUP_INDEXES.items():
        store.con.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {on}")


def drop_lookup_indexes(store: Store) -> None:
    """Drop the look-up indexes, each DROP its own transaction (see :func:`drop_lookup_indexes_for_rebuild`)."""
    for name in LOOKUP_INDEXES:
        store.con.execute(f"DROP INDEX IF EXISTS {name}")


class LineageBuild(NamedTuple):
    """A snapshot's ``lineage_builds`` row: when, with which registry version (and rules), its statistics."""

    built_at: datetime | None
    registry_version: str | None
    stats: dict[str, Any]


def lineage_build_row(store: Store, snapshot_id: int) -> LineageBuild | None:
    """The snapshot's lineage build, or None when its lineage was never built."""
    rows = store.con.execute("SELECT built_at, registry_version, stats FROM lineage_builds WHERE snapshot_id = ?",
                             [snapshot_id]).fetchall()
    if not rows:
        return None
    built_at, version, stats = rows[0]
    return LineageBuild(built_at, version, json.loads(stats) if stats else {})


def replace_lineage(store: Store, snapshot_id: int, edges_table: str, origins_table: str, registry_version: str,
                    stats: dict[str, Any]) -> None:
    """Replace the snapshot's ``edges`` and ``origins`` with the rows of two tables on the store's connection
    (columns named as the store's, see ``EDGE_COLUMNS`` / ``ORIGIN_COLUMNS``) and record the build.

    Runs inside the caller's ``store.transaction()``, the build's one transaction (its tables are made before it,
    outside any: see ``lineage.build.ensure_built``), so a failure leaves the previous build in place. The
    look-up indexes are the caller's to make after the commit (:func:`create_lookup_indexes`)."""
    sid = int(snapshot_id)
    con = store.con
    edge_cols, origin_cols = ", ".join(EDGE_COLUMNS), ", ".join(ORIGIN_COLUMNS)
    con.execute("DELETE FROM edges WHERE snapshot_id = ?", [sid])
    # sorted: single-model look-ups read one row group (zone maps)
    con.execute(f"INSERT INTO edges (snapshot_id, {edge_cols}) SELECT {sid}, {edge_cols} "
                f"FROM {check_name(edges_table)} ORDER BY child_id, parent_id")
    con.execute("DELETE FROM origins WHERE snapshot_id = ?", [sid])
    con.execute(f"INSERT INTO origins (snapshot_id, {origin_cols}) SELECT {sid}, {origin_cols} "
                f"FROM {check_name(origins_table)} ORDER BY model_id")
    con.execute("DELETE FROM lineage_builds WHERE snapshot_id = ?", [sid])
    con.execute("INSERT INTO lineage_builds VALUES (?, ?, ?, ?)",
                [sid, datetime.now(UTC), registry_version, json.dumps(stats)])


def drop_lookup_indexes_for_rebuild(store: Store, snapshot_id: int) -> bool:
    """Before a rebuild of a snapshot that has lineage rows: drop the look-up indexes, in a step of their own.

    Why: DuckDB removes deleted rows from an ART index when the deleting transaction commits, and that is slow.
    A forced rebuild of a 1M-model snapshot (2.26M edge and origin rows deleted) spent 64 s in COMMIT with
    the indexes and 0.04 s without (docs/lineage.md). Dropping them inside the build's transaction does not
    help: the drop only takes effect at that same commit. So they go first, in their own transaction, and
    come back after the build's commit or its failure (:func:`restore_lookup_indexes`). Indexes hold no
    answers: without them single-model look-ups scan row groups, slower but right. Returns whether they were
    dropped (a first build keeps them: it deletes nothing)."""
    sid = int(snapshot_id)
    if store.read_only:  # the build refuses a read-only store before this (Store.check_writable)
        return False
    has_rows = store.con.execute(
        "SELECT EXISTS (SELECT 1 FROM edges WHERE snapshot_id = ?) OR EXISTS (SELECT 1 FROM origins "
        "WHERE snapshot_id = ?)", [sid, sid]).fetchall()[0][0]
    if not has_rows:
        return False
    drop_lookup_indexes(store)
    return True


def restore_lookup_indexes(store: Store) -> None:
    """Create the look-up indexes if one is missing and they fit (:func:`lookup_indexes_fit`), best effort: after
    a build (committed or failed), and when a build is found current (a rebuild killed after the drop left none).
    Never drops them: only a build's INSERT brings them into memory (:func:`drop_lookup_indexes_past_budget`), so
    a look-up under a smaller limit than the build's does not drop what the next look-up would make again (2.8 s
    at 2.2M models; review37 F3). The store's row count is read only when one is missing (0.4 ms a call, F4). They
    only speed look-ups up, so a failure here must not be reported as the build's; the next call tries again."""
    with suppress(Exception):
        row = store.con.execute(PRESENT_LOOKUP_INDEXES).fetchone()
        if (row is None or row[0] < len(LOOKUP_INDEXES)) and lookup_indexes_fit(store):
            create_lookup_indexes(store)


def release_index_memory(store: Store) -> None:
    """CHECKPOINT after a build: the build's INSERT loads the look-up indexes of every snapshot into DuckDB's
    memory, and they stay there until a checkpoint, counted against ``memory_limit``. Measured on a store of 24
    snapshots (a hub growing to 2.2M models, 3 GiB limit): after the first build of snapshot 22, 1.46 GiB of
    ART_INDEX memory stayed (1.55 GiB after snapshot 23), and 0 after CHECKPOINT; one process building the
    snapshots one after another ran out of memory at snapshot 21 (1.9M models) in its edge step, which the
    same build in a fresh process passed (3.37 GiB peak RSS). Best effort, as the indexes: it frees memory only."""
    if not store.read_only:
        with suppress(Exception):
            store.con.execute("CHECKPOINT")


def drop_temp_tables(store: Store, *prefixes: str) -> None:
    """Drop the TEMP tables on the store's connection whose names start with one of ``prefixes``: what a build
    leaves there must not outlive it (the connection stays small for what runs next)."""
    if not prefixes:
        return
    where = " OR ".join("starts_with(table_name, ?)" for _ in prefixes)
    names = [r[0] for r in store.con.execute(
        f"SELECT table_name FROM duckdb_tables() WHERE temporary AND ({where})", list(prefixes)).fetchall()]
    for name in names:
        store.con.execute(f"DROP TABLE IF EXISTS temp.main.{check_name(name)}")


__all__ = ["EDGE_COLUMNS", "INDEX_BYTES_PER_ROW", "INDEX_MEMORY_SHARE", "LOOKUP_INDEXES", "ORIGIN_COLUMNS",
           "PRESENT_LOOKUP_INDEXES", "LineageBuild", "create_lookup_indexes", "drop_lookup_indexes",
           "drop_lookup_indexes_for_rebuild", "drop_lookup_indexes_past_budget", "drop_temp_tables",
           "lineage_build_row", "lookup_indexes_fit", "memory_limit_bytes", "replace_lineage", "release_index_memory",
           "restore_lookup_indexes"]
