"""Migration 005: an existing store gains scope and filter, old rows get an honest scope (issue 8)."""

from __future__ import annotations

import json
from importlib import resources

import duckdb

from modelcensus.store import Store


def _old_store(path) -> None:
    """A store at schema version 4 (before scopes), written the way those versions wrote it."""
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for f in sorted(resources.files("modelcensus.store").joinpath("migrations").iterdir(), key=lambda p: p.name):
        if f.name.endswith(".sql") and int(f.name.split("_", 1)[0]) <= 4:
            con.execute(f.read_text())
            con.execute("INSERT INTO schema_version VALUES (?)", [int(f.name.split("_", 1)[0])])
    rows = [
        ("hub-api", "u1", True, {"crawl": {"scope": "full", "finished": True}}),
        ("hub-api", "u2", False, {"crawl": {"scope": "filtered", "author": "Qwen", "limit": None}}),
        ("hub-api", "u3", False, {"crawl": {"scope": "delta", "since": "2025-01-01T00:00:00Z"}}),
        ("hub-stats", "models.parquet", True, {}),
        ("synthetic", "synthetic:seed=1", True, {}),
        ("flat-file", "trees/x.csv.gz", True, {}),
    ]
    for i, (source, ref, complete, notes) in enumerate(rows, start=1):
        con.execute("INSERT INTO snapshots (source, source_ref, observed_at, imported_at, complete, fingerprint, notes)"
                    " VALUES (?, ?, TIMESTAMPTZ '2025-01-01', now(), ?, ?, ?)",
                    [source, ref, complete, f"fp{i}", json.dumps(notes)])
    con.close()


def test_old_rows_get_a_scope_and_filter(tmp_path) -> None:
    path = tmp_path / "old.duckdb"
    _old_store(path)
    with Store(path) as store:
        assert store.schema_version() >= 5
        got = [(s.source_ref, s.scope, s.filter, s.complete) for s in sorted(store.snapshots(), key=lambda s: s.id)]
    assert got == [
        ("u1", "full", None, True),
        ("u2", "partial", {"author": "Qwen"}, False),  # null keys dropped
        ("u3", "delta", {"since": "2025-01-01T00:00:00Z"}, False),
        ("models.parquet", "full", None, True),
        ("synthetic:seed=1", "full", None, True),
        ("trees/x.csv.gz", "partial", {"source_ref": "trees/x.csv.gz"}, True),  # a file never says it is full
    ]


def test_new_snapshot_defaults_to_partial(store) -> None:
    from datetime import UTC, datetime

    from modelcensus.store import SnapshotMeta

    with store.transaction():
        sid = store.create_snapshot(SnapshotMeta(source="x", observed_at=datetime(2025, 1, 1, tzinfo=UTC)))
    snap = store.snapshot(sid)
    assert (snap.scope, snap.filter) == ("partial", None) and snap.as_dict()["scope"] == "partial"
