"""Store: dated snapshots of Hub metadata in embedded DuckDB."""

from modelcensus.store.store import (
    ImportResult,
    SkipReport,
    Snapshot,
    SnapshotMeta,
    Store,
    default_db_path,
    open_store,
)

__all__ = ["ImportResult", "SkipReport", "Snapshot", "SnapshotMeta", "Store", "default_db_path", "open_store"]
