"""to_dialect(sql, "spark") gives DuckDB's answer on Spark, or refuses naming the construct.

Each rewrite runs on a few literal rows on both engines and the results are compared column by column; the
cases are batched into two Spark queries (each one is a Spark job with its own start-up cost).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from modelcensus.errors import InputError
from modelcensus.lineage.edge_sql import any_tag_sql
from modelcensus.store.dialect import to_dialect
from modelcensus.store.engine_duckdb import DuckDBEngine

# id, list, computed index, string, JSON text, two lists for list_has_any
ROWS = """(VALUES
  (1, [10, 20, 30], 2, 'ab', '{"a":[1,"x",null,{"c":1},[2],true,1.5],"a.b":[1,2]}', ['a', NULL], ['b']),
  (2, [10, 20, 30], -1, 'abc', '{"a":"[1]"}', ['a', NULL], ['a']),
  (3, [10, 20, 30], 0, 'abcd', '{"a":{"b":1}}', [NULL], [NULL]),
  (4, [10, 20, 30], -4, '', '{"b":1}', NULL, ['a']),
  (5, [10, 20, 30], 4, 'x', '{"a":null}', [], ['a']),
  (6, [7], -3, 'a', '{"a":-5,"a.b":"x"}', ['a'], ['b', NULL]),
  (7, NULL, 1, 'a', '{"a":18446744073709551615}', ['a', 'b'], ['b']),
  (8, [10, 20, 30], NULL, 'a', '{"a":[]}', ['a'], ['a']),
  (9, [10, 20, 30], 3, 'a', NULL, ['a'], ['a']),
  (10, [10, 20, 30], -2, 'ab', '{"a":7}', ['a'], ['a']),
  (11, [10, 20, 30], 1, 'ab', '{"a":18446744073709551616}', ['a'], ['a']),
  (12, [10, 20, 30], 1, 'ab', '{"a":1.5,"a.b":{"c":1}}', ['a'], ['a']),
  (13, [10, 20, 30], 1, 'ab', '{"a":"s"}', ['a'], ['a']),
  (14, [10, 20, 30], 1, 'ab', '{"a":true}', ['a'], ['a']),
  (15, [1], 1, 'ab', '{"a":[{"c":"x"},{"d":1},"{\\"c\\":1}",5,{"c":{"e":[1]}},{"c":null},{"c":1.5},{"c":7}]}', [], [])
) t(id, l, i, k, s, a, b)"""

SCALARS = {
    "index_column": "l[i]",
    "index_one": "l[1]",
    "index_three": "l[3]",
    "index_minus_one": "l[-1]",
    "index_minus_three": "l[-3]",
    "index_minus_four": "l[-4]",
    "index_zero": "l[0]",
    "index_typed": "l[length(k)]",  # sqlglot types length() as an integer and shifted it itself
    "index_sum": "l[i + 1]",
    "index_of_filtered": "list_filter(l, lambda v: v > 10)[1]",
    "index_nested": "[l, [7, 8]][2][-1]",
    "index_literal_list": "[10, 20, 30][1]",
    "has_any": "list_has_any(a, b)",
    "has_none": "NOT list_has_any(a, b)",
    "has_any_indexed": "list_has_any([l[1]], [10])",
    # the lineage's tag test (list_contains per tag): FALSE, not Spark's NULL, for a NULL element and no match
    "any_tag": any_tag_sql("a", ("b", "z")),
    "strings_of_array": "json_extract_string(s, '$.a[*]')",
    "fields_of_elements": "json_extract_string(s, '$.a[*].c')",
    "strings_of_quoted_key": "json_extract_string(s, '$.\"a.b\"[*]')",
    "type_of_a": "json_type(s, '$.a')",
    "type_of_quoted_key": "json_type(s, '$.\"a.b\"')",
    "type_of_element": "json_type(s, '$.a[0]')",
    "type_of_document": "json_type(s)",
    "text_of_quoted_key": "json_extract_string(s, '$.\"a.b\"')",
    # RE2's rewrite: \\N a group, $ itself (Java: $N, and \\N was the digit); anchored, so first match = all
    "replace_groups": r"regexp_replace(k, '^(a)(b?)', '\2\1-$1')",
    "replace_every": r"regexp_replace(k, '[bc]', '<\0>\\', 'g')",
    # without 'g': the first match only, though the pattern could match again (an empty match at the end, a
    # second alternative), and a group followed by a digit
    "replace_first_empty_end": r"regexp_replace(k || 'xx', 'x*$', 'Y')",
    "replace_first_alternative": r"regexp_replace(k, 'b|c', '[\0]')",
    "replace_group_then_digit": r"regexp_replace(k, '(a)', '\10')",
    # exact microseconds, also before 1970 with a fraction (whole seconds differed: Spark's UNIX_TIMESTAMP truncates)
    "micros_before_1970": "epoch_us(TRY_CAST('1969-12-31 23:59:59.5+00' AS TIMESTAMPTZ))",
    "micros_of_a_date": "epoch_us(DATE '1969-12-31')",
    "micros_far_ahead": "epoch_us(TRY_CAST('9999-12-31 23:59:59.999999+00' AS TIMESTAMPTZ))",
    "from_json_structure": """from_json('{"relation":"merge","models":[{"id":"x/a"},{"id":"y/b"}]}',
                                         '{"relation":"VARCHAR","models":[{"id":"VARCHAR"}]}')""",
}

# group, value, key, kept by the FILTER; one NULL key per group so no two rows tie
GROUPS = """(VALUES (1, 'b', 2, true), (1, 'c', NULL, true), (1, 'a', 1, true), (1, NULL, 3, true),
  (2, 'z', 1, false), (2, 'y', 2, false), (3, 'p', 5, true), (3, 'q', 4, false)) g(grp, x, k, f)"""

AGGREGATES = {
    "by_key": "list(x ORDER BY k)",
    "by_key_nulls_first": "list(x ORDER BY k NULLS FIRST)",
    "by_key_nulls_last": "list(x ORDER BY k ASC NULLS LAST)",
    "by_key_desc": "list(x ORDER BY k DESC)",
    "by_key_desc_nulls_first": "list(x ORDER BY k DESC NULLS FIRST)",
    "by_two_keys": "list(x ORDER BY k, x)",
    "by_value": "list(x ORDER BY x)",
    "distinct_by_value": "list(DISTINCT x ORDER BY x)",
    "filtered_by_key": "list(x ORDER BY k) FILTER (WHERE f)",
    "unordered_sorted": "list_sort(list(x))",
    "unordered_filtered": "list_sort(list(x) FILTER (WHERE f))",
    "keys_filtered": "list(k ORDER BY k) FILTER (WHERE f)",
    # DuckDB's compensated sum: a DOUBLE on both engines, NULL for a group with no row
    "compensated": "fsum(k / 3)",
    "compensated_filtered": "fsum(k) FILTER (WHERE f)",
    # values of 1e15 and more take the DOUBLE sum on Spark (its pieces hold less)
    "compensated_large": "fsum(k * 1e18)",
    "compensated_mixed": "fsum(CASE WHEN k = 1 THEN 1e300 ELSE k / 3 END)",
}


def _select(cases: dict[str, str], source: str, key: str, group: bool) -> str:
    columns = ", ".join(f"{expr} AS {name}" for name, expr in cases.items())
    return f"SELECT {key}, {columns} FROM {source}" + (f" GROUP BY {key}" if group else "") + f" ORDER BY {key}"


def _same(name: str, duck: Any, spark: Any) -> bool:
    """Equal, compensated sums too: Spark's exact sum is rounded once, as DuckDB's is in these cases."""
    return bool(duck == spark)


def _differences(sql: str, spark: Any) -> list[str]:
    duck = DuckDBEngine().query(sql).to_pylist()
    other = spark.query(to_dialect(sql, "spark")).to_pylist()
    assert len(duck) == len(other)
    return [f"{name} at {d}: DuckDB {d[name]!r}, Spark {o[name]!r}"
            for d, o in zip(duck, other, strict=True) for name in d if not _same(name, d[name], o[name])]


def test_scalar_rewrites_give_duckdbs_answer_on_spark(spark_engine: Any) -> None:
    assert _differences(_select(SCALARS, ROWS, "id", group=False), spark_engine) == []


def test_list_aggregates_give_duckdbs_answer_on_spark(spark_engine: Any) -> None:
    sql = _select(AGGREGATES, GROUPS, "grp", group=True)
    assert _differences(sql, spark_engine) == []
    rows = DuckDBEngine().query(sql).to_pylist()  # the cases hold what they are meant to test
    assert rows[0]["by_key"] == ["a", "b", None, "c"] and rows[1]["filtered_by_key"] is None
    assert rows[0]["compensated_filtered"] == 6.0 and rows[1]["compensated_filtered"] is None


# running and partitioned sums: the FILTER and the window are carried onto each aggregate of the Spark form
WINDOWED = {
    "compensated_share": "k / fsum(k) OVER (PARTITION BY grp)",
    "compensated_running": "fsum(k / 3) OVER (PARTITION BY grp ORDER BY x NULLS LAST ROWS BETWEEN UNBOUNDED PRECEDING "
               "AND CURRENT ROW)",
    "compensated_whole": "fsum(k * 0.1) OVER ()",
}


# values whose exact sum a DECIMAL cast of x got wrong: through its shortest decimal form (a cancelling pair kept
# 0.02 of 1e14 + 2^-6), at a fixed 18 places (1e-20 became 0), or an abs() of the smallest BIGINT
EXACT_SUMS = """(SELECT grp, CAST(v AS DOUBLE) AS x FROM (VALUES (1, '1099511627776.0078125'), (1, '-1099511627776'),
  (2, '3e-20'), (2, '4e-21'), (3, '0.1'), (3, '0.2'), (3, '0.3'), (4, '123456789012.375'), (4, '0.000244140625'),
  (5, '-7.5e-13'), (5, '2.5e-13'), (6, '999999999999999.9'), (6, '-0.05')) v(grp, v))"""


def test_compensated_sum_is_exact_on_spark(spark_engine: Any) -> None:
    sql = f"SELECT grp, fsum(x) AS s, fsum(x) FILTER (WHERE x > 0) AS pos FROM {EXACT_SUMS} GROUP BY grp ORDER BY grp"
    duck = DuckDBEngine().query(sql).to_pylist()
    assert spark_engine.query(to_dialect(sql, "spark")).to_pylist() == duck
    assert duck[0]["s"] == 0.0078125 and duck[1]["s"] == math.fsum([3e-20, 4e-21])  # the cases hold what they test
    ints = "SELECT fsum(x) AS s FROM (VALUES (CAST(-9223372036854775808 AS BIGINT)), (CAST(5 AS BIGINT))) v(x)"
    assert spark_engine.query(to_dialect(ints, "spark")).to_pylist() == DuckDBEngine().query(ints).to_pylist()


# sums that cancel across rows (review31 R31-1: Spark gave 0.0 for the first), ties of the rounding, and sums
# past 2^53 (all values under 1e15, so none takes the DOUBLE fallback); each must come out as math.fsum, the exact
# sum of the values correctly rounded, but for the two sums just past a tie whose totals have one sign (see below)
CANCELLING = {
    "whole parts against fractions": [1.1, -0.9, -0.2],
    "negative result": [16.0, -0.763, -15.237],
    "four terms": [11.094, -28.2, 0.17, 16.936],
    "a remainder of 2^-80": [1.0, -0.5, -0.5, -2.0 ** -80],
    "a tie, to even": [2.0 ** 49, 2.0 ** -4],  # 2^49's ulp is 2^-3 (and it is under 1e15: no fallback)
    "just past a tie": [2.0 ** 49, 2.0 ** -4, 2.0 ** -100],
    "a negative tie": [-(2.0 ** 49) - 2.0 ** -3, 2.0 ** -4],
    "just past a negative tie": [-(2.0 ** 49) - 2.0 ** -3, 2.0 ** -4, -(2.0 ** -60)],
    "under 1e15 cancelling": [999999999999999.875, -999999999999999.0],
    "past 2^53 in the whole parts": [2.0 ** 49] * 20 + [0.5],
    "flows of three decimals": [12.345, -7.071, -5.274, 0.001, -0.001],
    # whole numbers take a shorter path on Spark (no fraction to round); past 2^53 their sum rounds too
    "whole numbers, a tie to even below": [9.9e14] * 10 + [1.0],
    "whole numbers, a tie to even above": [9.9e14] * 10 + [3.0],
    "whole numbers, negative, cancelling": [-(9.9e14)] * 10 + [3.0, 9.9e14],
}


def test_compensated_sum_that_cancels_is_correctly_rounded_in_any_order_on_spark(spark_engine: Any) -> None:
    """In a GROUP BY of values of mixed signs, the totals are carried into one sign and rounded once
    (``_combine_template``), so a sum whose whole parts and fractions cancel is the correctly rounded exact sum, in
    every partitioning. In a window the totals are added as DOUBLEs, also the same in every partitioning.
    A seeded set of 3,000 near-cancelling groups adds cases written by nobody."""
    import random

    import pyarrow as pa

    rng = random.Random(5)
    groups = dict(CANCELLING)
    groups["a flow group of 900 rows"] = [v for _ in range(300) for a, b in [(round(rng.uniform(0, 50), 3),
                                          round(rng.uniform(0, 50), 3))] for v in (a, b, -(a + b))]
    for k in range(3000):
        vs = [round(rng.uniform(-50, 50), 3) if k % 2 else rng.uniform(-1, 1) * 10 ** rng.randint(-12, 13)
              for _ in range(rng.randint(1, 5))]
        groups[f"random {k}"] = [*vs, -math.fsum(vs) + (0 if k % 3 else rng.uniform(-1e-9, 1e-9))]
    names = list(groups)
    table = pa.table({"g": [i for i, n in enumerate(names) for _ in groups[n]],
                      "x": [v for n in names for v in groups[n]]})
    spark_engine.register_arrow("_t_cancel", table)
    sql = "SELECT g, fsum(x) AS s FROM {src} GROUP BY g ORDER BY g"
    windowed = "SELECT DISTINCT g, fsum(x) OVER (PARTITION BY g) AS s FROM _t_cancel ORDER BY g"
    try:
        got = []
        for parts in (1, 4, 9):
            spark_engine.spark.table("_t_cancel").repartition(parts).createOrReplaceTempView("_t_cancel_p")
            got.append([r["s"] for r in spark_engine.query(to_dialect(sql.format(src="_t_cancel_p"), "spark"))
                        .to_pylist()])
        # the same sums in a window (one distinct value a group), in two partitionings: the totals added as
        # DOUBLEs there (the rounding step would run on every row), the same in any order
        for parts in (1, 9):
            spark_engine.spark.table("_t_cancel").repartition(parts).createOrReplaceTempView("_t_cancel_p")
            got.append([r["s"] for r in spark_engine.query(to_dialect(windowed.replace("_t_cancel", "_t_cancel_p"),
                                                                      "spark")).to_pylist()])
    finally:
        spark_engine.drop("_t_cancel")
        spark_engine.spark.catalog.dropTempView("_t_cancel_p")
    duck = DuckDBEngine()
    duck.register_arrow("_t_cancel", table)
    on_duckdb = [r["s"] for r in duck.query(sql.format(src="_t_cancel")).to_pylist()]
    # every sum of values of mixed signs is correctly rounded. The named sum just past a tie has values of one sign,
    # whose totals Spark adds as DOUBLEs (no cancellation, within an ulp): there it rounds to the wrong side of the
    # tie, 1 ulp off, as DuckDB's compensated sum does (2^49 + 2^-4 + 2^-100 -> 2^49). Its negative twin has values
    # of mixed signs (and totals of one sign): rounded once, so exact (it took the added totals while the test was
    # on the totals' signs)
    wrong = {n: (got[0][i], math.fsum(groups[n])) for i, n in enumerate(names) if got[0][i] != math.fsum(groups[n])}
    assert set(wrong) == {"just past a tie"}
    assert all(abs(a - b) == math.ulp(b) for a, b in wrong.values())
    assert got[0] == got[1] == got[2] and got[3] == got[4]
    # in a window the totals are added as DOUBLEs whatever their signs: equal to the grouped sum for whole numbers
    # and values of one sign (the totals take the same path), and where wholes and fractions cancel the documented
    # error (R31-1: 0.0 for 1.1 - 0.9 - 0.2)
    for i, n in enumerate(names):
        if all(float(v).is_integer() for v in groups[n]) or len({v > 0 for v in groups[n]}) == 1:
            assert got[3][i] == got[0][i], n
    assert got[3][0] == 0.0
    # of the named cases, only the negative one just past a tie differs from DuckDB's, which is 1 ulp off there.
    # (DuckDB's is not exact where sums cancel over many orders of size: in 3,000 such groups, seed 5, it was off by
    # 1 to 82 ulps in 67, all among the 1,500 spanning 10^-12 to 10^13; Spark's is the correctly rounded one there.)
    assert [n for i, n in enumerate(names) if on_duckdb[i] != got[0][i] and n in CANCELLING] == [
        "just past a negative tie"]
    k = names.index("just past a negative tie")
    assert abs(on_duckdb[k] - math.fsum(groups[names[k]])) == math.ulp(on_duckdb[k])
    # the cases hold what they test: the exact sum of the first, and ties rounded to even
    assert got[0][0] == 5.551115123125783e-17
    assert [got[0][4], got[0][6]] == [2.0 ** 49, -(2.0 ** 49)]
    assert got[0][11:13] == [9.9e15, 9.9e15 + 4]


def test_sums_past_what_the_exact_forms_hold_are_still_the_same_in_any_partitioning_on_spark(spark_engine: Any) -> None:
    """Whole numbers summing past 2^63 (their BIGINT sum overflows) and fractional ones past 2^61 (the rounding
    step's limit) take the totals added as DOUBLEs, the same in any order; they took the plain DOUBLE sum, which gave
    three different figures in 1, 5 and 13 partitions (review34 F2, review35 F2)."""
    import random

    import pyarrow as pa

    rng = random.Random(5)
    wholes = [float(rng.randint(900_000_000_000_000, 999_999_999_999_999)) for _ in range(12_000)]
    mixed = [*wholes[:6_000], -0.37, -12.5]  # signs mixed: the rounding step, NULL past 2^61
    spark_engine.register_arrow("_t_big", pa.table({"g": [1] * len(wholes) + [2] * len(mixed),
                                                    "x": wholes + mixed}))
    sql = to_dialect("SELECT g, fsum(x) AS s FROM _t_big_p GROUP BY g ORDER BY g", "spark")
    try:
        got = []
        for parts in (1, 5, 13):
            spark_engine.spark.table("_t_big").repartition(parts).createOrReplaceTempView("_t_big_p")
            got.append([r["s"] for r in spark_engine.query(sql).to_pylist()])
    finally:
        spark_engine.drop("_t_big")
        spark_engine.spark.catalog.dropTempView("_t_big_p")
    assert math.fsum(wholes) > 2.0 ** 63 and math.fsum(mixed) > 2.0 ** 61  # the cases hold what they test
    assert got[0] == got[1] == got[2]
    for s, values in zip(got[0], (wholes, mixed), strict=True):
        assert abs(s - math.fsum(values)) <= 2 * math.ulp(s)


def test_windowed_compensated_sums_give_duckdbs_answer_on_spark(spark_engine: Any) -> None:
    sql = f"SELECT grp, x, {', '.join(f'{e} AS {n}' for n, e in WINDOWED.items())} FROM {GROUPS} ORDER BY grp, x"
    assert _differences(sql, spark_engine) == []


def test_compensated_sum_is_the_same_in_any_partitioning_on_spark(spark_engine: Any) -> None:
    """A DOUBLE sum on Spark depends on the order its partitions are merged in; the rewrite of ``fsum`` must not.
    40,000 values of very different sizes and 5,000 small ones, grouped and whole, read in 1, 3 and 16
    partitions; each sum the correctly rounded one."""
    import random

    import pyarrow as pa

    rng = random.Random(11)
    values = [rng.random() * 10 ** rng.randint(-6, 9) for _ in range(40_000)]
    # group 5: only small terms, like an HHI's squared shares (a fixed-point DECIMAL(38,18) lost 1e-12 relative)
    tiny = [(rng.random() * 1e-4) ** 2 for _ in range(5_000)]
    spark_engine.register_arrow("_t_fsum", pa.table({"g": [i % 5 for i in range(len(values))] + [5] * len(tiny),
                                                     "x": values + tiny}))
    sql = "SELECT g, fsum(x) AS s, fsum(x) FILTER (WHERE x > 1) AS big, any_value(t) AS whole " \
          "FROM (SELECT g, x, fsum(x) OVER () AS t FROM {src}) GROUP BY g ORDER BY g"
    results, plain = [], []
    try:
        for parts in (1, 3, 16):
            spark_engine.spark.table("_t_fsum").repartition(parts).createOrReplaceTempView("_t_fsum_p")
            results.append(spark_engine.query(to_dialect(sql.format(src="_t_fsum_p"), "spark")).to_pylist())
            plain.append(spark_engine.query("SELECT sum(x) AS s FROM _t_fsum_p").to_pylist())
    finally:
        spark_engine.drop("_t_fsum")
        spark_engine.spark.catalog.dropTempView("_t_fsum_p")
    # what the test catches: Spark's plain DOUBLE sum of these values is not the same in every partitioning
    assert len({row[0]["s"] for row in plain}) > 1
    assert results[0] == results[1] == results[2]
    exact = math.fsum(values + tiny)  # correctly rounded, as Spark's form is (no value here is below 2^-98)
    assert results[0][0]["whole"] == exact
    assert [r["s"] for r in results[0]] == [math.fsum(values[g::5]) for g in range(5)] + [math.fsum(tiny)]


def test_scalar_cases_cover_duckdbs_rules() -> None:
    """The reference values the Spark comparison relies on: negative indexes count from the end, 0 is NULL,
    NULL elements are ignored by list_has_any, '$.a[*]' of a non-array is []."""
    rows = {r["id"]: r for r in DuckDBEngine().query(_select(SCALARS, ROWS, "id", group=False)).to_pylist()}
    assert rows[1]["index_minus_one"] == 30 and rows[3]["index_column"] is None
    assert rows[1]["has_any"] is False and rows[4]["has_any"] is None
    assert [rows[i]["any_tag"] for i in (1, 3, 4, 5, 7)] == [False, False, False, False, True]
    assert rows[2]["strings_of_array"] == [] and rows[10]["type_of_a"] == "UBIGINT"
    assert rows[15]["fields_of_elements"] == ["x", '{"e":[1]}', None, "1.5", "7"]
    assert rows[1]["replace_groups"] == "ba-$1" and rows[2]["replace_every"] == "a<b>\\<c>\\"
    assert rows[1]["replace_first_empty_end"] == "abY" and rows[2]["replace_first_alternative"] == "a[b]c"
    assert rows[1]["replace_group_then_digit"] == "a0b"
    assert rows[1]["micros_before_1970"] == -500_000 and rows[1]["micros_of_a_date"] == -86_400_000_000
    assert rows[1]["micros_far_ahead"] == 253_402_300_799_999_999
    assert rows[1]["from_json_structure"] == {"relation": "merge", "models": [{"id": "x/a"}, {"id": "y/b"}]}


def test_literal_index_is_shifted_once() -> None:
    assert "GET(ARRAY(10, 20, 30), 0)" in to_dialect("SELECT [10, 20, 30][1] AS v", "spark")
    assert "GET(l, SIZE(l) - 1)" in to_dialect("SELECT l[-1] FROM t", "spark")


def test_epoch_us_becomes_unix_micros() -> None:
    out = to_dialect("SELECT epoch_us(TRY_CAST(c AS TIMESTAMPTZ)) FROM t", "spark")
    assert "UNIX_MICROS(CAST(TRY_CAST(c AS TIMESTAMP) AS TIMESTAMP))" in out


def test_nested_constructs_are_rewritten_too() -> None:
    out = to_dialect("SELECT list_has_any([l[1]], m) FROM t", "spark")
    assert "ARRAYS_OVERLAP" in out and "GET(l, 0)" in out and "[" not in out.replace("['", "")


def test_key_access_is_left_as_written() -> None:
    assert "m['k']" in to_dialect("SELECT m['k'] FROM t", "spark")


@pytest.mark.parametrize(("sql", "named"), [
    ("SELECT l[1:2] FROM t", "slice"),
    ("SELECT l[:2] FROM t", "slice"),
    ("SELECT 'abc'[1]", "indexing a string"),
    ("SELECT l[1.5] FROM t", "integer"),
    ("SELECT list(x ORDER BY a, b DESC) FROM t", "mixing ASC and DESC"),
    ("SELECT list(x) OVER (PARTITION BY y) FROM t", "OVER"),
    ("SELECT list(x ORDER BY k) FILTER (WHERE f) OVER (PARTITION BY y) FROM t", "OVER"),
    ("SELECT json_type(s, '$.a[-1]') FROM t", "JSON path"),
    ("SELECT json_type(s, p) FROM t", "literal path"),
    ("SELECT json_extract_string(s, '$.a[*].b[*]') FROM t", "wildcard"),
    ("SELECT json_extract(s, '$.a[*]') FROM t", "wildcard"),
    ("SELECT regexp_replace(s, '^a', 'b', 'i') FROM t", "options"),
    ("SELECT regexp_replace(s, 'a', '\\x') FROM t", "backslash"),  # DuckDB refuses such a rewrite too
    ("SELECT regexp_replace(s, '^a', r) FROM t", "computed"),
    ("""SELECT from_json(s, '{"a":"HUGEINT"}') FROM t""", "structure"),
    ("SELECT json_extract_string(s, ['$.a', '$.b[-1]']) FROM t", "list of paths"),
    ("SELECT json_type(s, ['$.a[*]']) FROM t", "list of paths"),
    ("SELECT json_extract(s, ['$.a']) FROM t", "list of paths"),
    ("SELECT json_type(s, ['$.a', p]) FROM t", "literal strings"),
    ("SELECT fsum(DISTINCT x) FROM t", "DISTINCT or ORDER BY"),
    ("SELECT fsum(x ORDER BY x) FILTER (WHERE x > 0) FROM t", "DISTINCT or ORDER BY"),
    ("SELECT g, fsum(fsum(x)) OVER () FROM t GROUP BY g", "over an aggregate"),
    ("SELECT g, fsum(max(x) * 2) OVER (PARTITION BY h) FROM t GROUP BY g, h", "over an aggregate"),
])
def test_constructs_without_a_spark_form_are_refused(sql: str, named: str) -> None:
    with pytest.raises(InputError, match=named):
        to_dialect(sql, "spark")


def test_duckdb_is_identity() -> None:
    assert to_dialect("SELECT l[1:2]", "duckdb") == "SELECT l[1:2]"
