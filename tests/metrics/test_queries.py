"""metrics.queries: ephemeral inputs are inlined as leading CTEs, so the store path runs the query files
without copying the scope's views into tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelcensus.metrics.queries import store_queries, with_inputs
from modelcensus.store import Store


def test_inputs_become_leading_ctes() -> None:
    assert with_inputs("SELECT 1", {}) == "SELECT 1"
    assert with_inputs("-- a comment\n-- two\nSELECT x FROM t", {"t": "SELECT 1 AS x"}) == \
        "WITH t AS (SELECT 1 AS x)\nSELECT x FROM t"
    assert with_inputs("-- c\nWITH g AS (SELECT x FROM t) SELECT * FROM g", {"t": "SELECT 1 AS x"}) == \
        "WITH t AS (SELECT 1 AS x),\ng AS (SELECT x FROM t) SELECT * FROM g"
    with pytest.raises(ValueError, match="RECURSIVE"):
        with_inputs("WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r", {"t": "SELECT 1"})


def test_a_file_runs_on_a_store_and_leaves_nothing(tmp_path: Path) -> None:
    """metric_downloads.sql over an ephemeral credit: the figures, and no table left on the connection."""
    with Store(tmp_path / "s.duckdb") as store:
        with store_queries(store) as q:
            q.define("credit", "SELECT * FROM (VALUES (1, 'a', 1.0, 10, 100), (1, 'a', 0.5, 4, 40), "
                               "(1, NULL, 1.0, NULL, 7)) v(snapshot_id, grp, w, d30, dall)")
            assert q.run(["metric_downloads"], {"snapshot": 1, "field": "d30"}) == ["metric_downloads"]
            rows = q.rows("SELECT grp, downloads, models, share FROM metric_downloads ORDER BY grp NULLS LAST")
        assert rows == [{"grp": "a", "downloads": 12.0, "models": 1.5, "share": 1.0},
                        {"grp": None, "downloads": 0.0, "models": 1.0, "share": 0.0}]
        left = store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE temporary").fetchall()
        assert left == [(0,)]


def test_a_failed_query_file_is_an_internal_error_not_bad_input(tmp_path: Path) -> None:
    """Our own statements on a store (a query file, a made input, a read of what they made) failing is a bug or
    the machine: StoreReadError (exit 3), as the scope's statements are; it was InputError (exit 2) for the files."""
    from modelcensus.errors import InputError
    from modelcensus.metrics.queries import StoreReadError

    with Store(tmp_path / "s.duckdb") as store, store_queries(store) as q:
        with pytest.raises(StoreReadError, match="not registered") as err:  # its inputs were never given
            q.run(["metric_downloads"], {"snapshot": 1, "field": "d30"})
        assert not isinstance(err.value, InputError) and isinstance(err.value.__cause__, InputError)
        q.inputs["credit"] = "SELECT 1 AS snapshot_id, 'a' AS grp"  # no w, d30, dall: the statement fails
        with pytest.raises(StoreReadError, match="statement failed on DuckDB"):
            q.run(["metric_downloads"], {"snapshot": 1, "field": "d30"})
        with pytest.raises(StoreReadError):
            q.make("small", "SELECT no_such_column FROM snapshots")
        with pytest.raises(StoreReadError):
            q.rows("SELECT * FROM metric_downloads")
