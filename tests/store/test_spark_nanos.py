"""A hub-stats file with a nanosecond timestamp nested in a column (pandas writes dicts as structs, datetimes in
nanoseconds): Spark stages it as DuckDB does when the staging never reads that column, and refuses it, naming
the column, when it does (its longs would pass unnoticed into JSON text). Skips without PySpark or Java."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelcensus.errors import InputError

NS = pa.timestamp("ns", tz="UTC")
US = pa.timestamp("us", tz="UTC")


def _write(path: Path, **extra: pa.Array) -> None:
    pq.write_table(pa.table({"id": ["a/x", "b/y", "c/z"], "downloads": [1, 2, 3],
                             "createdAt": pa.array([1_741_064_767_123_456, None, -1], US), **extra}), path)


def test_unread_nested_nanoseconds_stage_as_duckdb_and_read_ones_are_refused(tmp_path: Path,
                                                                             spark_engine: Any) -> None:
    """Labelled before the fix (review5 F): the first file (an unread struct and list holding nanoseconds) was
    refused whole on Spark, "nanosecond timestamps in 'extra.t'", where DuckDB stages its 3 rows; now Spark stages
    the same 3 rows. The second (cardData, which the staging writes as JSON text, holds one) stays refused on
    Spark naming 'cardData.t' and telling to build with DuckDB, which stages it."""
    from modelcensus.sources.hubstats import describe_file, stage_file, staging_select
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    unread, read = tmp_path / "unread.parquet", tmp_path / "read.parquet"
    ns = [1_741_064_767_123_456_789, None, -1]
    _write(unread, extra=pa.array([{"t": v} for v in ns], pa.struct([("t", NS)])),
           when=pa.array([[v] for v in ns], pa.list_(NS)))
    _write(read, cardData=pa.array([{"base_model": "o/p", "t": v} for v in ns],
                                   pa.struct([("base_model", pa.string()), ("t", NS)])))
    with Store(":memory:") as probe, scratch(spark_engine) as area:
        duck = probe.con.sql(staging_select(unread, describe_file(probe, unread))).to_arrow_table().to_pylist()
        spark = area.query(f"SELECT * FROM {stage_file(area, unread, probe)}").to_pylist()
        assert len(duck) == 3
        assert sorted(spark, key=lambda r: r["_pos"]) == sorted(duck, key=lambda r: r["_pos"])
        assert len(probe.con.sql(staging_select(read, describe_file(probe, read))).fetchall()) == 3
        with pytest.raises(InputError, match=r"read\.parquet: Spark cannot read it \(nanosecond timestamps in "
                                             r"'cardData\.t'.*--engine duckdb"):
            stage_file(area, read, probe, name="hub_staged_read")


def test_a_session_that_refuses_the_setting_is_an_input_error() -> None:
    # labelled before the run: a session whose conf.set raises (a locked-down Connect server) gives an InputError
    # naming the setting, and the block does not run (review6 R6-6); no JVM needed
    from modelcensus.store.engine_spark import _conf

    class _Conf:
        def get(self, key: str, default: Any = None) -> Any:
            return default

        def set(self, key: str, value: str) -> None:
            raise RuntimeError("[CANNOT_MODIFY_CONFIG] Cannot modify the value of the Spark config")

    class _Session:
        conf = _Conf()

    ran = []
    with pytest.raises(InputError, match=r"refused setting spark\.x=true \(\[CANNOT_MODIFY_CONFIG\]"), \
            _conf(_Session(), "spark.x", "true"):
        ran.append(1)
    assert ran == []


def test_each_top_level_column_is_decided_by_its_own_type_tree(tmp_path: Path) -> None:
    """Labelled before the fix (review6 R6-3), no JVM: the footer walk answers per top-level column, by the
    Parquet leaf types Spark reads (not pyarrow's Arrow types), each leaf given to its column by position in the
    schema tree, never by splitting the dotted path: 'cardData.t' (a string column) is not the struct
    cardData{t: ns}; 'a.b' (int64) is not a{b: ns}; a plain file has nothing; a top-level ns column is one, UTC or
    not, also one named 's.t' beside a struct s{t: int64}; every container (map, large/fixed-size list, list of
    structs) is nested; INT96 (pyarrow reads it as ns, Spark as a timestamp) and ns coerced to us are nothing."""
    from modelcensus.store.engine_spark import _file_nanos

    def wrote(name: str, table: pa.Table, **kw: Any) -> str:
        pq.write_table(table, tmp_path / name, **kw)
        return str(tmp_path / name)

    v = 1_741_064_767_123_456_789
    dots = wrote("dots.parquet", pa.table({"id": [0], "cardData": pa.array([{"t": v}], pa.struct([("t", NS)])),
                                           "cardData.t": ["x"]}))
    ab = wrote("ab.parquet", pa.table({"a.b": [7], "a": pa.array([{"b": v}], pa.struct([("b", NS)]))}))
    plain = wrote("plain.parquet", pa.table({"id": [0], "t": pa.array([1], US),
                                             "s": pa.array([{"t": 1}], pa.struct([("t", US)])),
                                             "l": pa.array([[1]], pa.list_(US))}))
    legit = wrote("legit.parquet", pa.table({"s": pa.array([{"t": 3}], pa.struct([("t", pa.int64())])),
                                             "s.t": pa.array([v], NS), "n": pa.array([v], pa.timestamp("ns"))}))
    boxes = wrote("boxes.parquet", pa.table({
        "m": pa.array([[("k", v)]], pa.map_(pa.string(), NS)), "ll": pa.array([[v]], pa.large_list(NS)),
        "fl": pa.array([[v]], pa.list_(NS, 1)), "ls": pa.array([[{"x": v}]], pa.list_(pa.struct([("x", NS)]))),
        "ok": pa.array([[1]], pa.list_(US))}))
    int96 = wrote("int96.parquet", pa.table({"t": pa.array([v], NS)}), use_deprecated_int96_timestamps=True)
    coerced = wrote("coerced.parquet", pa.table({"t": pa.array([v], NS)}), coerce_timestamps="us",
                    allow_truncated_timestamps=True)
    assert _file_nanos(dots) == {"cardData": "cardData.t"}
    assert _file_nanos(ab) == {"a": "a.b"}
    assert _file_nanos(plain) == {}
    assert _file_nanos(legit) == {"s.t": True, "n": False}
    assert _file_nanos(boxes) == {"m": "m.key_value.value", "ll": "ll.list.element", "fl": "fl.list.element",
                                  "ls": "ls.list.element.x"}
    assert _file_nanos(int96) == {}
    assert _file_nanos(coerced) == {}


def test_a_dotted_top_level_name_is_not_taken_for_a_structs_field(tmp_path: Path, spark_engine: Any) -> None:
    """Labelled before the fix (review6 R6-3): beside a struct cardData{t: ns}, a string column named 'cardData.t'
    took the refusal and to_json(cardData) gave the nanoseconds as a bare number; beside a{b: ns}, an int64 named
    'a.b' was turned into timestamps and a.b passed as a number. Now the plain columns read as written and the
    structs are refused naming the nested path; a top-level ns column 's.t' beside s{t: int64} is a timestamp."""
    v = 1_741_064_767_123_456_789
    dots, ab, legit = (tmp_path / f"{n}.parquet" for n in ("dots", "ab", "legit"))
    pq.write_table(pa.table({"id": [0], "cardData": pa.array([{"t": v}], pa.struct([("t", NS)])),
                             "cardData.t": ["x"]}), dots)
    pq.write_table(pa.table({"a.b": [7], "a": pa.array([{"b": v}], pa.struct([("b", NS)]))}), ab)
    pq.write_table(pa.table({"s": pa.array([{"t": 3}], pa.struct([("t", pa.int64())])),
                             "s.t": pa.array([v], NS)}), legit)
    for name, path in (("t_dots", dots), ("t_ab", ab), ("t_legit", legit)):
        spark_engine.register_parquet(name, path)
    try:
        assert spark_engine.query("SELECT `cardData.t` AS c FROM t_dots").to_pydict() == {"c": ["x"]}
        assert spark_engine.query("SELECT `a.b` AS c FROM t_ab").to_pydict() == {"c": [7]}
        for sql, path in (("to_json(cardData)", r"cardData\.t"), ("a.b", r"a\.b")):
            with pytest.raises(InputError, match=rf"Spark cannot read it \(nanosecond timestamps in '{path}'"):
                spark_engine.query(f"SELECT {sql} FROM {'t_dots' if 'card' in sql else 't_ab'}")
        got = spark_engine.query("SELECT CAST(`s.t` AS STRING) AS top, s.t AS inner FROM t_legit").to_pydict()
        assert got == {"top": ["2025-03-04 05:06:07.123456"], "inner": [3]}
    finally:
        for name in ("t_dots", "t_ab", "t_legit"):
            spark_engine.drop(name)


def test_the_setting_is_touched_only_for_a_file_with_nanoseconds(tmp_path: Path, spark_engine: Any,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Labelled before the change (review6 R6-6): every register_parquet set nanosAsLong for its read, so a
    session refusing it failed every Parquet read. Now a file without TIMESTAMP(NANOS) leaves the session's
    settings alone (also an INT96 one, which pyarrow alone would take for nanoseconds); a file with one sets it
    once, around its read."""
    from modelcensus.store import engine_spark

    calls: list[str] = []
    real = engine_spark._conf

    def spy(spark: Any, key: str, value: str) -> Any:
        calls.append(key)
        return real(spark, key, value)

    monkeypatch.setattr(engine_spark, "_conf", spy)
    plain, int96, ns = (tmp_path / f"{n}.parquet" for n in ("plain", "int96", "ns"))
    _write(plain)
    pq.write_table(pa.table({"t": pa.array([1_741_064_767_123_456_000], pa.timestamp("ns"))}), int96,
                   use_deprecated_int96_timestamps=True)
    pq.write_table(pa.table({"t": pa.array([1_741_064_767_123_456_789], NS)}), ns)
    try:
        spark_engine.register_parquet("t_plain", plain)
        spark_engine.register_parquet("t_int96", int96)
        assert calls == []
        assert spark_engine.query("SELECT downloads FROM t_plain ORDER BY id").to_pydict() == {"downloads": [1, 2, 3]}
        assert spark_engine.query("SELECT CAST(t AS STRING) AS t FROM t_int96").to_pydict() == {
            "t": ["2025-03-04 05:06:07.123456"]}
        spark_engine.register_parquet("t_ns", ns)
        assert calls == [engine_spark.NANOS_AS_LONG]
    finally:
        for name in ("t_plain", "t_int96", "t_ns"):
            spark_engine.drop(name)
