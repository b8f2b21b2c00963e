"""The seam's "view" materialisation (``define_view``) and the DuckDB engine's clean-up listing.

A view is computed where it is read: it follows the table it reads (a materialised table would not), it
replaces a table of its name and is replaced by one, and ``drop`` removes it. The same on Spark local mode.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from modelcensus.errors import InputError
from modelcensus.store import Store
from modelcensus.store.engine import scratch
from modelcensus.store.engine_duckdb import DuckDBEngine


def _values(engine: Any, sql: str) -> list[int]:
    return sorted(engine.query(sql).column(0).to_pylist())


def _check_view_semantics(engine: Any) -> None:
    engine.register_arrow("t_base", pa.table({"x": [1, 2, 3]}))
    engine.define_view("t_view", "SELECT x * 10 AS y FROM t_base WHERE x > 1")
    engine.materialise("t_copy", "SELECT x * 10 AS y FROM t_base WHERE x > 1")
    assert _values(engine, "SELECT y FROM t_view") == [20, 30]
    engine.register_arrow("t_base", pa.table({"x": [5]}))  # the view reads the table as it is now
    assert _values(engine, "SELECT y FROM t_view") == [50]
    assert _values(engine, "SELECT y FROM t_copy") == [20, 30]  # the table kept its rows
    engine.define_view("t_copy", "SELECT 7 AS y")  # a view replaces a table of its name
    assert _values(engine, "SELECT y FROM t_copy") == [7]
    engine.materialise("t_copy", "SELECT 8 AS y")  # and a table replaces a view
    assert _values(engine, "SELECT y FROM t_copy") == [8]
    with scratch(engine) as area:
        area.define_view("t_scratch", "SELECT 1 AS y")
        assert _values(engine, "SELECT y FROM t_scratch") == [1]
    with pytest.raises(InputError):  # the scratch area dropped it
        engine.query("SELECT y FROM t_scratch")
    engine.drop("t_view")
    with pytest.raises(InputError):
        engine.query("SELECT y FROM t_view")
    with pytest.raises(InputError):  # a query the engine refuses is named, not raised raw (review27 I-2)
        engine.define_view("t_bad", "SELECT nope FROM no_such_table")


def test_define_view_on_duckdb() -> None:
    engine = DuckDBEngine()
    try:
        _check_view_semantics(engine)
    finally:
        engine.close()


def test_define_view_on_spark(spark_engine: Any) -> None:
    try:
        _check_view_semantics(spark_engine)
    finally:
        for name in ("t_base", "t_copy", "t_view", "t_scratch"):
            spark_engine.drop(name)


def test_a_view_never_shadows_a_store_table(tmp_path: Any) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        engine = DuckDBEngine.from_store(store)
        with pytest.raises(InputError, match="one of the store's tables"):
            engine.define_view("origins", "SELECT 1 AS x")
        assert store.snapshots() == []  # the store's own table is still the one read


def test_temporary_names_lists_views_then_tables_by_prefix_across_engines(tmp_path: Any) -> None:
    with Store(tmp_path / "s.duckdb") as store:
        one, other = DuckDBEngine.from_store(store), DuckDBEngine.from_store(store)
        one.materialise("mc_b", "SELECT 1 AS x")
        other.define_view("mc_a", "SELECT 2 AS x")
        other.materialise("zz_c", "SELECT 3 AS x")
        assert one.temporary_names("mc_") == [("VIEW", "mc_a"), ("TABLE", "mc_b")]
        assert one.temporary_names("mc\\_") == []  # a prefix, not a pattern
        for _kind, name in one.temporary_names("mc_"):
            one.drop(name)  # made by the other engine too: looked up, then dropped
        assert one.temporary_names("mc_") == []
        assert one.temporary_names("zz_") == [("TABLE", "zz_c")]


def test_one_engine_per_open_store_and_connection(tmp_path: Any) -> None:
    """Every caller on a store shares one engine (the kinds of the names made on it, the store's table names read
    once); a per-thread read view has its own connection, so its own engine."""
    from modelcensus.store.readers import read_view

    with Store(tmp_path / "s.duckdb") as store:
        engine = DuckDBEngine.from_store(store)
        assert DuckDBEngine.from_store(store) is engine
        DuckDBEngine.from_store(store).define_view("mc_v", "SELECT 1 AS x")
        engine.materialise("mc_v", "SELECT 2 AS x")  # knows it is a view: replaced by a table, not refused
        assert _values(engine, "SELECT x FROM mc_v") == [2]
        view = read_view(store)
        assert DuckDBEngine.from_store(view) is not engine
        assert DuckDBEngine.from_store(view).con is view.con


def test_an_engine_error_keeps_duckdbs_exception_as_its_cause() -> None:
    import duckdb

    engine = DuckDBEngine()
    try:
        with pytest.raises(InputError, match="query failed on DuckDB") as caught:
            engine.query("SELECT * FROM no_such_table")
        assert isinstance(caught.value.__cause__, duckdb.Error)  # a debug traceback shows DuckDB's own text
    finally:
        engine.close()


def test_a_rollback_makes_the_shared_engine_look_kinds_up_again(tmp_path: Any) -> None:
    """What a rolled-back transaction made is gone, and a name may be of the other kind afterwards: the shared
    engine forgets what it knew, so its next drop sends the right DROP (review27 R27-1: DROP TABLE on a view)."""
    with Store(tmp_path / "s.duckdb") as store:
        engine = DuckDBEngine.from_store(store)
        with pytest.raises(RuntimeError), store.transaction():
            engine.materialise("mc_y", "SELECT 1 AS a")
            raise RuntimeError("the block fails")
        store.con.execute("CREATE TEMP VIEW mc_y AS SELECT 2 AS a")  # made by someone else, as a view
        engine.drop("mc_y")
        assert engine.temporary_names("mc_") == []
        engine.define_view("mc_x", "SELECT 1 AS a")
        with pytest.raises(RuntimeError), engine.transaction():
            engine.materialise("mc_x", "SELECT 2 AS a")  # a view replaced by a table, rolled back: a view again
            raise RuntimeError("the block fails")
        engine.drop("mc_x")
        assert engine.temporary_names("mc_") == []
