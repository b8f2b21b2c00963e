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
