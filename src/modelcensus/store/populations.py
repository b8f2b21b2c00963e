"""The store's ``populations`` table: named lists of model ids (ATOM's tracked list, ...), read and replaced here.

A source (``sources/curated.py``) reads and checks a list; this module owns how its membership is stored, so
no source runs SQL on the store's connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import suppress
from datetime import datetime

import duckdb
import pyarrow as pa

from modelcensus.store.store import Store

_ROWS_VIEW = "_population_rows"


def population_ids(store: Store, name: str) -> list[str]:
    """Member ids of population ``name`` in their stored spelling, sorted (empty when there is no such list)."""
    rows = store.con.execute("SELECT model_id FROM populations WHERE name = ? ORDER BY model_id", [name]).fetchall()
    return [r[0] for r in rows]


def population_members(store: Store, name: str) -> set[str]:
    """Member ids of population ``name`` as a set (unsorted: an importer compares them with a file's list to
    tell an unchanged re-import from a new version, and a million ids need no ORDER BY for that)."""
    rows = store.con.execute("SELECT model_id FROM populations WHERE name = ?", [name]).fetchall()
    return {r[0] for r in rows}


def replace_population(store: Store, name: str, members: Sequence[tuple[str, str | None]], *,
                       source_ref: str, imported_at: datetime) -> None:
    """Make population ``name`` exactly ``members`` (``(model_id, org)`` pairs, already de-duplicated).

    The old membership is deleted and the new one inserted as two statements, so the caller holds the
    transaction (``store.transaction()``): a failure rolls both back and the old list stays whole. The rows go
    in as one Arrow table (one INSERT ... SELECT), not one statement per member: lists hold up to a million ids.
    """
    store.con.execute("DELETE FROM populations WHERE name = ?", [name])
    table = pa.table({"model_id": pa.array([m[0] for m in members], pa.string()),
                      "org": pa.array([m[1] for m in members], pa.string())})
    store.con.register(_ROWS_VIEW, table)
    try:
        store.con.execute(f"INSERT INTO populations (name, model_id, org, source_ref, imported_at) "
                          f"SELECT ?, model_id, org, ?, ? FROM {_ROWS_VIEW}", [name, source_ref, imported_at])
    finally:
        # in a transaction the failed INSERT aborted, unregistering fails too (and would hide the INSERT's
        # error); the caller's rollback drops the view
        with suppress(duckdb.Error):
            store.con.unregister(_ROWS_VIEW)
