"""A resumable crawl's state in the store: the ``crawl_state`` table and the partial snapshot it fills.

A crawl (``sources/hub_api.py``) commits each page together with its cursor, so a crawl killed at any moment
restarts from its last committed page. The crawler decides what a page holds and what its notes say; this
module owns the rows that record it, so no source runs SQL on the store's connection. ``params`` is whatever
identifies a crawl to its source (a JSON object): a restart with equal ``params`` resumes it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from modelcensus.store.store import SnapshotMeta, Store


@dataclass(frozen=True)
class CrawlCursor:
    """Where an unfinished crawl stopped: its snapshot, the next page to read (None: none left), pages done."""

    snapshot_id: int
    next_url: str | None
    pages_done: int


def crawl_resume_state(store: Store, params: dict[str, Any]) -> CrawlCursor | None:
    """The newest unfinished crawl with exactly these ``params``, or None (then a crawl starts afresh).

    Parameters are compared as parsed JSON, not as text, so key order and spacing do not matter."""
    rows = store.con.execute("SELECT snapshot_id, CAST(params AS VARCHAR), next_url, pages_done FROM crawl_state "
                             "ORDER BY snapshot_id DESC").fetchall()
    for sid, raw, next_url, pages in rows:
        if json.loads(raw) == params:
            return CrawlCursor(int(sid), next_url, int(pages))
    return None


def start_crawl(store: Store, meta: SnapshotMeta, params: dict[str, Any], first_url: str) -> int:
    """Create a crawl's partial snapshot and its cursor (at ``first_url``, no page done); return the snapshot id.

    One transaction of its own: a snapshot is never left without the cursor that lets a restart resume it."""
    with store.transaction():
        sid = store.create_snapshot(meta, complete=False)
        store.con.execute("INSERT INTO crawl_state (snapshot_id, params, next_url, pages_done, updated_at) "
                          "VALUES (?, ?, ?, 0, ?)", [sid, json.dumps(params), first_url, datetime.now(UTC)])
    return sid


def save_crawl_page(store: Store, snapshot_id: int, *, next_url: str | None, pages_done: int,
                    skipped_count: int, notes: dict[str, Any]) -> None:
    """Record a page as done: the cursor moves to ``next_url``; the snapshot's row count (counted from its
    models), skipped count and notes are brought up to date.

    The caller holds the transaction that staged the page's rows, so a page and its cursor commit together:
    a crawl killed in between neither loses the page nor reads it twice."""
    store.con.execute("UPDATE crawl_state SET next_url = ?, pages_done = ?, updated_at = ? WHERE snapshot_id = ?",
                      [next_url, pages_done, datetime.now(UTC), snapshot_id])
    store.con.execute("UPDATE snapshots SET row_count = (SELECT count(*) FROM models WHERE snapshot_id = ?), "
                      "skipped_count = ?, notes = ? WHERE id = ?",
                      [snapshot_id, skipped_count, json.dumps(notes, default=str), snapshot_id])


def dedupe_hub_declarations(store: Store, snapshot_id: int) -> None:
    """Keep one copy of each of the snapshot's Hub declarations (``source = 'hub'``).

    A model listed on two pages of a crawl (its sort key moved while the crawl ran) is stored once, but its
    declarations were staged with each page. Call inside the crawl's last transaction: the delete and the
    re-insert must not be seen (or survive a failure) apart."""
    store.con.execute("CREATE OR REPLACE TEMP TABLE _hub_decl AS SELECT DISTINCT * FROM declarations "
                      "WHERE snapshot_id = ? AND source = 'hub'", [snapshot_id])
    store.con.execute("DELETE FROM declarations WHERE snapshot_id = ? AND source = 'hub'", [snapshot_id])
    store.con.execute("INSERT INTO declarations SELECT * FROM _hub_decl")
    store.con.execute("DROP TABLE _hub_decl")


def end_crawl(store: Store, snapshot_id: int) -> None:
    """Drop a finished crawl's cursor: its snapshot is final, and a new crawl with the same parameters starts a
    new snapshot instead of resuming this one. Call in the transaction that finishes the snapshot."""
    store.con.execute("DELETE FROM crawl_state WHERE snapshot_id = ?", [snapshot_id])
