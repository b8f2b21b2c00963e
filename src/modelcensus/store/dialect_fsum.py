"""Spark's form of DuckDB's ``fsum``: an exact sum of integer pieces, the same figure in any partitioning.

Spark has no compensated sum, and its DOUBLE sum depends on the order it merges partitions in (20M values read in
4 or in 64 partitions gave totals 549 apart; benchmarks/RESULTS.md). :func:`exact_sum` rewrites ``fsum(x)`` (with
its FILTER and window) into BIGINT sums of 30-bit pieces of ``x`` and combines them into one DOUBLE; the module
holds the piece split, the combination and the correctly rounding step (``_combine_template``). Kept apart from
``dialect`` (the other rewrites) so each file stays one concern; written here because no library does it on Spark.
"""

from __future__ import annotations

import functools
from typing import Any

from modelcensus.errors import InputError
from modelcensus.store.sql_nodes import fn as _fn
from modelcensus.store.sql_nodes import shown as _shown


def is_fsum(node: Any) -> bool:
    from sqlglot import exp

    return isinstance(node, exp.Anonymous) and node.name.lower() == "fsum" and len(node.expressions) == 1


# x is added as exact integer pieces of 30 bits: its whole part in two (|x| < 1e15 < 2^60) and its fraction in five,
# each a BIGINT below 2^30 taken by truncating x or a scaled fraction (fmod, scaling by a power of two and the
# truncation are exact), summed as BIGINT (no overflow below 2^33 rows a group). Measured against the forms tried
# first (benchmarks/RESULTS.md): a cast of x to a DECIMAL goes through its shortest decimal form (1e12 + 2^-7 minus
# 1e12 gave 0.0078, not 0.0078125); a fixed-point DECIMAL(38,18) lost small terms (an HHI's squared shares came out
# 1e-8 relative off; review30); DECIMAL(38,0) sums of 52-bit pieces cost 3.9-4.1x a DOUBLE sum, and pieces that
# copied x 35 times 3.5-3.8x, against 1.16-1.26x for this form
_BITS = 30
_FRACTION_PIECES = 5  # exact down to 2^-150 (7e-46); bits below are dropped, row by row


_PIECES = "_fsum_totals"  # the template's placeholder for the array of the seven totals


@functools.cache
def _combine_template() -> Any:
    """The Spark expression that turns the seven exact BIGINT totals (lowest weight first: 2^-150 ... 2^-30, 2^0,
    2^30) into one DOUBLE, correctly rounded, also where they cancel (review31 R31-1: 1.1 - 0.9 - 0.2 gave 0.0 when
    the totals were read as DOUBLEs and added, each already rounded to its own size).

    1. Carries: each total but the top is brought into [0, 2^30) and its excess carried up (``& (2^30 - 1)`` and an
       arithmetic ``shiftright`` by 30 are the floor remainder and quotient), so the top digit holds the sign of the
       exact sum. A negative sum is done again on the negated totals, and the result negated.
    2. Rounding once: the highest non-zero digit and the one below it make an integer X (31 to 61 bits); X and the
       next digit are shifted into one BIGINT of exactly 61 bits, and if any bit below it is non-zero its last bit is
       set (round to odd: the value lies strictly between it and the next integer, and 61 bits leave room for the
       rounding bit). Java's long-to-double conversion then rounds to nearest even once, and a power of two scales
       it exactly. So the result is the exact sum of the pieces correctly rounded: ``math.fsum`` of the values once
       each is truncated to a multiple of 2^-150 (the pieces hold no less; review34 F3: where those dropped bits
       decide a tie, 1 ulp from ``math.fsum`` of the values themselves).

    Measured (benchmarks/RESULTS.md, 10M values in 1,000 groups, each against a plain DOUBLE sum in the same run):
    adding the totals as DOUBLEs from the smallest, as before, was 1 ulp off in 236 of 20,000 random groups. This
    form costs 1.16x in a GROUP BY (before: 1.10x), where it runs once a group. In a window it would run on every
    row as interpreted lambda code, 14x (before: 1.4x), so ``_exact_sum`` keeps the added totals there. The same
    rounding done in DECIMAL(38,0) cost 26x in a window over 2M rows. Names are bound by one-element ``transform``s,
    evaluated once. A total or carry past BIGINT (``try_add``/``try_subtract``: NULL, and a NULL digit makes the
    whole NULL), or a top digit of 2^31 or more (a sum past 2^61), makes the whole NULL, and the caller adds the
    totals as DOUBLEs instead (still the same in any order), or past BIGINT takes the DOUBLE sum."""
    import sqlglot

    b, top = 2 ** _BITS, _FRACTION_PIECES + 1  # digits 0 .. 6, weights 2^-150 .. 2^30

    def let(value: str, name: str, body: str) -> str:  # body with name bound to value, evaluated once
        return f"transform(array({value}), {name} -> {body})[0]"

    def digits(sign: str) -> str:  # two zeros, then the carried digits 0 .. 6 of sign * the totals, the top unbounded
        # each carried value bound once (a nested let): written out, digit i held digits 0 .. i-1 (quadratic text)
        body = ("array(CAST(0 AS BIGINT), CAST(0 AS BIGINT), "
                + ", ".join(f"(_fsum_u{i} & {b - 1})" for i in range(top)) + f", _fsum_u{top})")
        for i in range(top, -1, -1):
            total = f"_fsum_t[{i}]" if sign == "1" else f"try_subtract(0, _fsum_t[{i}])"  # -(-2^63): NULL
            carry = f"shiftright(_fsum_u{i - 1}, {_BITS})" if i else "CAST(0 AS BIGINT)"
            body = let(f"try_add({total}, {carry})", f"_fsum_u{i}", body)
        return body

    # _fsum_d: the digits of |sum| (d[h - 1], d[h - 2] exist for every h); _fsum_h: its top non-zero digit
    high = " ".join(f"WHEN _fsum_d[{i + 2}] != 0 THEN {i}" for i in range(top, -1, -1))
    below = " ".join(f"WHEN {h} THEN {' + '.join(f'_fsum_d[{i + 2}]' for i in range(h - 2))} != 0"
                     for h in range(3, top + 1))
    # X: the top non-zero digit and the one below (31 to 61 bits); k: the shift that gives M exactly 61 bits
    x = f"(shiftleft(_fsum_d[_fsum_h + 2], {_BITS}) + _fsum_d[_fsum_h + 1])"
    m = f"(shiftleft({x}, _fsum_k) + shiftright(_fsum_d[_fsum_h], {_BITS} - _fsum_k))"
    lost = f"(_fsum_d[_fsum_h] & (shiftleft(CAST(1 AS BIGINT), {_BITS} - _fsum_k) - 1)) != 0"
    rounded = let(f"61 - length(bin({x}))", "_fsum_k",
                  f"CAST({m} | CASE WHEN {lost} OR CASE _fsum_h {below} ELSE false END THEN 1 ELSE 0 END AS DOUBLE) "
                  f"* power(CAST(2 AS DOUBLE), {_BITS} * _fsum_h - {_BITS * top} - _fsum_k)")  # M's last bit's weight
    value = let(f"CASE {high} ELSE -1 END", "_fsum_h",
                f"CASE WHEN exists(_fsum_d, _fsum_z -> _fsum_z IS NULL) OR _fsum_d[_fsum_h + 2] >= {2 ** 31} THEN NULL "
                f"WHEN _fsum_h < 0 THEN CAST(0 AS DOUBLE) "
                f"ELSE {rounded} END")
    # a negative sum (the top digit of the totals as they are is negative) is done on the negated totals, negated
    negative = f"_fsum_p[{top + 2}] < 0"
    text = let(_PIECES, "_fsum_t",
               "CASE WHEN exists(_fsum_t, _fsum_z -> _fsum_z IS NULL) THEN NULL ELSE " + let(
                   digits("1"), "_fsum_p",
                   let(f"CASE WHEN {negative} THEN {digits('-1')} ELSE _fsum_p END", "_fsum_d",
                       f"{value} * CASE WHEN {negative} THEN -1 ELSE 1 END")) + " END")
    return sqlglot.parse_one(text, read="spark")


def _combined(totals: Any) -> Any:
    """The template above with ``totals`` (an ARRAY of the seven BIGINT totals) in place."""
    from sqlglot import exp

    def put(node: Any) -> Any:
        if isinstance(node, exp.Column) and node.name == _PIECES and not node.table:
            return totals
        return node

    return _combine_template().copy().transform(put)


def exact_sum(node: Any) -> Any:
    """``fsum(x) [FILTER (...)] [OVER (...)]`` -> an exact sum of ``x`` (the same figure whatever order the partitions
    are added in) as a DOUBLE: the 30-bit pieces of the whole parts and of the fractions summed exactly as BIGINT
    (bits of a value under 2^-150 are dropped: a group of values all below 2^-98 loses some, R31-4), then
    - whole numbers (every fraction total 0): the BIGINT sum, converted once: correctly rounded;
    - values of one sign (``min(x) >= 0`` or ``max(x) <= 0``, so totals of one sign): the totals read as DOUBLEs and
      added from the smallest, within about an ulp (no cancellation: 28 of 20,000 random groups of positive values
      1 ulp off, none more; benchmarks/check_spark_fsum.py);
    - values of mixed signs in a GROUP BY: rounded once (``_combine_template``): correctly rounded, also where whole
      parts and fractions cancel across rows (1.1 - 0.9 - 0.2 gives 5.55e-17, as math.fsum; adding the totals gave
      0.0, review31 R31-1). That step is interpreted lambda code, so it is kept for the sums that need it; past 2^61
      it gives way to the added totals, still the same in any order;
    - in a window, the added totals whatever their signs (the step would run on every row): where they cancel, about
      1e-16 of the parts off. The query files' windows total values of one sign.
    Each total is written once for every place it is read (Spark has no name for an aggregate inside one SELECT),
    so the text is kept short: a grouped sum of a column is about 7.0K characters (15.1K before the fallback was
    written once, the sign test made on the values and the carries bound once; a query file with a dozen sums
    reached 114K, and 160K once ran Spark out of memory while parsing, R31-2). The plain DOUBLE sum when some
    ``|x|`` is 1e15 or more,
    NaN or infinite (``max(abs(x))`` does not depend on the order rows come in, so neither does the choice), or a
    piece's sum overflows (``try_sum`` is NULL: 2^33 rows a group).

    Rewritten at the outermost of the call, its FILTER and its window, which are copied onto each aggregate:
    ``CASE ... END OVER (...)`` is not SQL. The fsum inside a wrapper is left for the wrapper."""
    from sqlglot import exp

    parent = node.parent
    if is_fsum(node) and isinstance(parent, (exp.Filter, exp.Window)) and parent.this is node:
        return node
    if isinstance(node, exp.Filter) and isinstance(parent, exp.Window) and parent.this is node:
        return node
    call = node
    wrappers = []
    while not is_fsum(call):
        wrappers.append(call)
        call = call.this
    x = call.expressions[0]
    if isinstance(x, (exp.Distinct, exp.Order)):  # the pieces of distinct values are not the distinct pieces
        raise InputError(f"{_shown(call)}: fsum with DISTINCT or ORDER BY has no Spark form here")
    if x.find(exp.AggFunc) is not None:  # the argument is copied into every piece: 160K characters ran Spark out
        # of memory parsing fsum(fsum(...)) OVER () (review31 R31-2); no query file needs it
        raise InputError("fsum over an aggregate (as fsum(fsum(x)) OVER ()) has no Spark form here: sum the inner "
                         "aggregate in a subquery first")

    def wrapped(aggregate: Any) -> Any:
        for outer in reversed(wrappers):  # innermost (FILTER) first, the window around it
            copy = outer.copy()
            copy.set("this", aggregate)
            aggregate = copy
        return aggregate

    def cast(value: Any, to: str, kind: Any = exp.Cast) -> Any:
        return kind(this=value, to=exp.DataType.build(to), **({"safe": True} if kind is exp.TryCast else {}))

    def double(value: Any) -> Any:
        return cast(value, "DOUBLE")

    def piece() -> Any:
        return double(exp.Literal.number(2 ** _BITS))

    def whole_number(value: Any) -> Any:  # truncated toward zero, exactly; NULL past BIGINT (such a group falls back)
        return cast(value, "BIGINT", exp.TryCast)

    # each piece refers to x once (x itself, its fraction, or the fraction of a scaled fraction): 7 copies, not 35.
    # Digit k written directly as fmod(x * 2^(30k), 2^30) is the same digit in less text, but Java's fmod takes
    # longer the further apart the two operands' exponents are: a GROUP BY took 3.2x as long (benchmarks/RESULTS.md)
    def one() -> Any:
        return double(exp.Literal.number(1))

    whole = whole_number(double(x.copy()))
    whole_low = exp.Mod(this=whole, expression=exp.Literal.number(2 ** _BITS))  # BIGINT: the sign of x
    whole_high = exp.IntDiv(this=whole.copy(), expression=exp.Literal.number(2 ** _BITS))
    fraction: Any = exp.Mod(this=double(x.copy()), expression=one())  # fmod: exact, the sign of x
    pieces = []
    for _ in range(_FRACTION_PIECES):
        scaled = exp.Mul(this=exp.Paren(this=fraction), expression=piece())
        pieces.append(whole_number(scaled.copy()))
        fraction = exp.Mod(this=exp.Paren(this=scaled), expression=one())
    totals = [wrapped(_fn("try_sum", part)) for part in [*reversed(pieces), whole_low, whole_high]]
    # whole numbers (counts, downloads: every fraction total 0) need no rounding step: the sum is the BIGINT
    # 2^30 * high + low, and its conversion rounds once; Spark compiles this
    no_fraction = exp.and_(*(exp.EQ(this=t.copy(), expression=exp.Literal.number(0))
                             for t in totals[:_FRACTION_PIECES]))
    whole_sum = double(_fn("try_add", _fn("try_multiply", totals[-1].copy(), exp.Literal.number(2 ** _BITS)),
                           totals[-2].copy()))
    # the totals read as DOUBLEs and added from the smallest: the same in any order, compiled, but where wholes
    # and fractions cancel off by about 1e-16 of the parts (R31-1), and elsewhere at most about an ulp off
    added = double(totals[0].copy())
    for total in totals[1:_FRACTION_PIECES]:  # ((t0 / 2^30 + t1) / 2^30 + ...) / 2^30 + t4, in units of 2^-30
        added = exp.Add(this=exp.Div(this=exp.Paren(this=added), expression=piece()), expression=double(total.copy()))
    added = exp.Add(this=exp.Add(this=exp.Mul(this=double(totals[-1].copy()), expression=piece()),
                                 expression=double(totals[-2].copy())),
                    expression=exp.Div(this=exp.Paren(this=added), expression=piece()))
    # values of one sign (every query file's sums) give totals of one sign, which cannot cancel: adding them is
    # within about an ulp. The rounding step is kept for values of mixed signs, where adding the totals loses the
    # sum (R31-1); its NULL (a sum past 2^61) takes the added totals. Not in a window: an expression holding lambda
    # code is interpreted whole, on every row there (14x a plain window sum with the step always taken, 5.1x with
    # it behind this test, 1.4x without it: benchmarks/RESULTS.md); the query files' windows total values of one sign
    zero = exp.Literal.number(0)
    one_sign = exp.or_(exp.GTE(this=wrapped(exp.Min(this=double(x.copy()))), expression=zero.copy()),
                       exp.LTE(this=wrapped(exp.Max(this=double(x.copy()))), expression=zero.copy()))
    ifs = [exp.If(this=no_fraction, true=whole_sum)]  # past BIGINT (2^63) NULL: the added totals (review35 F2)
    grouped = not any(isinstance(w, exp.Window) for w in wrappers)
    choice = exp.Case(ifs=[*ifs, exp.If(this=one_sign, true=exp.Null())],
                      default=_combined(exp.Array(expressions=totals))) if grouped else exp.Case(ifs=ifs)
    # every form falls back to the added totals, written once (each total is several hundred characters)
    exact = exp.Coalesce(this=choice, expressions=[added])
    double_sum = wrapped(exp.Sum(this=double(x.copy())))
    small = exp.LT(this=wrapped(exp.Max(this=exp.Abs(this=double(x.copy())))), expression=exp.Literal.number("1e15"))
    return exp.Coalesce(this=exp.Case(ifs=[exp.If(this=small, true=exact)]), expressions=[double_sum])


__all__ = ["exact_sum", "is_fsum"]
