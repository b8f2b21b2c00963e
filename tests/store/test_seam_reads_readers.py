"""A server's read views of a store (store/readers.py), issue 12: what server/census.py made on the store's
connection itself, a copy of the store on its own cursor, and the populations a page lists."""

from __future__ import annotations

from pathlib import Path

from lineage_snapshots import add_snapshot, hub

from modelcensus.store import Store
from modelcensus.store.readers import population_names, read_view


def test_a_read_view_reads_on_its_own_cursor(tmp_path: Path) -> None:
    path = tmp_path / "census.duckdb"
    with Store(path) as writer:
        add_snapshot(writer, [hub("a/b")])
        writer.con.execute("INSERT INTO populations VALUES ('zeta', 'a/b', NULL, NULL, now()), "
                           "('atom', 'a/b', NULL, NULL, now()), ('atom', 'c/d', NULL, NULL, now())")
    with Store(path, read_only=True) as store:
        view = read_view(store)
        assert view.con is not store.con and view.path == store.path and view.read_only
        assert view.con.execute("SELECT current_setting('enable_progress_bar'), "
                                "current_setting('TimeZone')").fetchall() == [(False, "UTC")]
        assert population_names(view) == ["atom", "zeta"] == population_names(store)
        assert view.snapshot().id == store.snapshot().id
