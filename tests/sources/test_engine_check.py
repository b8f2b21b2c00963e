"""The engine check's exact form of a double (trending scores): every finite double decodes from its parts, so
two neighbouring doubles are told apart at any magnitude, NaN, +inf and -inf are counted apart, and DuckDB and
Spark give each value the same parts (review5 H: below 1 the fraction times 2^52 lost 289-300 of 300
neighbouring pairs, and 1e-17 staged as 0.0 passed the check)."""

from __future__ import annotations

import math
import random
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelcensus.errors import InputError
from modelcensus.sources.engine_check import double_parts, scaled_sql
from modelcensus.store.engine_duckdb import DuckDBEngine

INF, NAN = math.inf, math.nan


def _parts(engine: Any, values: list[float]) -> list[tuple[Any, ...]]:
    """Each value's parts as ``engine`` computes them (in the values' order)."""
    engine.register_arrow("t_values", pa.table({"i": list(range(len(values))), "v": pa.array(values, pa.float64())}))
    try:
        parts = ", ".join(f"{p} AS p{k}" for k, p in enumerate(double_parts("v")))
        sql = f"SELECT i, {parts} FROM {scaled_sql('v', 't_values')} t ORDER BY i"
        if engine.dialect != "duckdb":
            from modelcensus.store.engine import to_dialect

            sql = to_dialect(sql, engine.dialect)
        rows = engine.query(sql).to_pylist()
    finally:
        engine.drop("t_values")
    return [tuple(r[f"p{k}"] for k in range(6)) for r in rows]


def _decoded(parts: tuple[Any, ...]) -> float:
    """The double the parts stand for: (whole + fraction / 2^52) / 2^(48 j); NaN / +inf / -inf from the flags."""
    whole, frac, j, nan, pinf, ninf = parts
    if nan or pinf or ninf:
        assert (nan, pinf, ninf).count(1) == 1 and whole is None and frac is None and j is None
        return NAN if nan else INF if pinf else -INF
    exact = (Fraction(int(whole)) + Fraction(int(frac), 2**52)) / Fraction(2) ** (48 * j)
    assert 0 <= frac < 2**52 and -(2**48) <= whole < 2**48  # -2^48: a value just above it (review6)
    return float(exact) if exact == Fraction(float(exact)) else pytest.fail(f"parts {parts} are not a double")


def _up(x: float) -> float:
    return math.nextafter(x, INF)


def test_every_double_decodes_from_its_parts_on_duckdb() -> None:
    """Labelled before the fix: 300 random values per magnitude range, both signs, and each one's next double up:
    all decode exactly to themselves, so no pair is lost in any range (was 300 and 289 lost below 1, and all
    300 above 3.8e25, which were only counted)."""
    r = random.Random(5)
    ranges = [(-323.5, -300), (-300, -10), (-10, 0), (0, 15), (15, 25.6), (25.6, 308.2)]
    values = [x for lo, hi in ranges for _ in range(300)
              for v in [10 ** r.uniform(lo, hi) * r.choice((1, -1))] for x in (v, _up(v))]
    got = [_decoded(p) for p in _parts(DuckDBEngine(), values)]
    assert got == values


BOUNDARY = [1e-300, _up(1e-300), 5e-324, _up(5e-324), 1e-17, _up(1e-17), -1e-17, 0.5, _up(0.5),
            math.nextafter(0.5, 0), 0.0, -0.0, NAN, INF, -INF, 1.0, math.nextafter(1.0, 0), 2.0**48,
            math.nextafter(2.0**48, 0), 2.0**-48, math.nextafter(2.0**-48, 0), 2.0**-1008,
            math.nextafter(2.0**-1008, 0), 2.2250738585072014e-308, math.nextafter(2.2250738585072014e-308, 0),
            1e15, _up(1e15), 3.8e25, _up(3.8e25), 1e20, _up(1e20), 2.0**1008, 1.7976931348623157e308,
            -1.7976931348623157e308, 0.1 + 0.2, 0.3]


def test_boundary_values_have_the_same_parts_on_both_engines(spark_engine: Any) -> None:
    """Labelled before the run: DuckDB and Spark give every boundary value (1e-300, 5e-324, 1e-17 and the next
    double, 0.5 and its neighbours, +-0.0, NaN, +-inf, the band edges 2^-1008 / 2^-48 / 1 / 2^48, the smallest
    normal, 1e15, 3.8e25, DBL_MAX) the same parts; each finite one decodes to itself (-0.0 as 0.0), NaN, +inf and
    -inf set one flag each."""
    ours = _parts(DuckDBEngine(), BOUNDARY)
    assert _parts(spark_engine, BOUNDARY) == ours
    got = [_decoded(p) for p in ours]
    assert [str(x) for x in got] == [str(0.0 if x == 0 else x) for x in BOUNDARY]
    assert len({p for p, x in zip(ours, BOUNDARY, strict=True) if not math.isnan(x)}) == len(BOUNDARY) - 2  # +-0


def test_a_score_staged_as_a_neighbour_fails_its_row_on_spark(tmp_path: Path, spark_engine: Any) -> None:
    """Labelled before the fix: Spark reads a copy of the file with one score moved (1e-17 to 0.0, 0.5 to the
    next double, NaN to +inf); each copy fails naming that row only (the first two passed before: below 1 the
    fraction times 2^52 loses such neighbours; NaN and +inf were one count)."""
    from modelcensus.sources.engine_check import check_engines_agree
    from modelcensus.sources.hubstats import describe_file
    from modelcensus.store import Store
    from modelcensus.store.engine import scratch

    scores = [1e-17, 0.5, NAN, 1.5]
    ids = ["a/x", "b/y", "c/z", "d/w"]

    def write(where: Path, values: list[float]) -> Path:
        pq.write_table(pa.table({"id": ids, "downloads": [1, 2, 3, 4],
                                 "trendingScore": pa.array(values, pa.float64())}), where)
        return where

    path = write(tmp_path / "models.parquet", scores)
    with Store(":memory:") as probe, scratch(spark_engine) as area:
        cols = describe_file(probe, path)
        area.register_parquet("same", path, row_number="file_row_number")
        check_engines_agree(area, "same", path, cols, probe)  # the file itself passes
        for k, moved in ((0, 0.0), (1, _up(0.5)), (2, INF)):
            copy = write(tmp_path / f"moved{k}.parquet", [moved if i == k else s for i, s in enumerate(scores)])
            area.register_parquet(f"moved{k}", copy, row_number="file_row_number")
            with pytest.raises(InputError, match=rf"1 row\(s\) .* row {k} \(id '{ids[k]}'\): trending_score "
                                                 "staged differently"):
                check_engines_agree(area, f"moved{k}", path, cols, probe)
