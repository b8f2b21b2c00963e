"""Reads of an open store for a server: a view per thread, and the store facts a page lists.

A DuckDB connection must not run two queries at once, so a server that answers on many threads gives each
thread its own cursor of the one (read-only) connection. The view is a copy of the store on that cursor, so
every library call that takes a store takes it unchanged.
"""

from __future__ import annotations

import copy

from modelcensus.store.store import Store


def read_view(store: Store) -> Store:
    """A copy of ``store`` that runs its queries on a new cursor of the store's connection: one per server thread.
    A cursor starts from DuckDB's defaults rather than this connection's settings, so DuckDB's progress bar (which
    would draw on stdout) is turned off on it again; global settings such as the time zone carry over."""
    view = copy.copy(store)
    view.con = store.con.cursor()
    view.con.execute("SET enable_progress_bar = false").fetchall()
    return view


def population_names(store: Store) -> list[str]:
    """The names of the curated populations the store holds (ATOM's list, ...), sorted: what a page offers to
    narrow a metric to."""
    return [r[0] for r in store.con.execute("SELECT DISTINCT name FROM populations ORDER BY 1").fetchall()]
