"""Finding a snapshot by where it came from: its ``source`` and ``source_ref`` (e.g. ``repo@sha``).

A fingerprint (``Store.find_fingerprint``) says two imports hold the same rows; a source reference pinned to a
commit says so before anything is downloaded or read, so a source can skip a re-pull on it alone.
"""

from __future__ import annotations

from modelcensus.store.store import Snapshot, Store


def snapshot_by_source_ref(store: Store, source: str, source_ref: str) -> Snapshot | None:
    """The first (lowest id) snapshot ``source`` imported from ``source_ref``, or None when there is none.

    Only meaningful for a reference that pins the content (a commit sha): the same ``repo@main`` names
    different content from day to day."""
    rows = store.con.execute("SELECT id FROM snapshots WHERE source = ? AND source_ref = ? ORDER BY id LIMIT 1",
                             [source, source_ref]).fetchall()
    return store.snapshot(int(rows[0][0])) if rows else None
