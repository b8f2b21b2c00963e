"""DuckDB SQL -> another engine's dialect: ``sqlglot`` plus the rewrites it does not make for Spark 4.

DuckDB's dialect is the source of truth of every query file; ``sqlglot`` transpiles it. What sqlglot leaves
as it is, or writes in a form Spark rejects or reads differently, is rewritten here, in one place; a construct
with no faithful Spark form raises :class:`~modelcensus.errors.InputError` naming it rather than giving a
different answer. Each rule is checked on both engines (``tests/store/test_dialect.py``, and the whole lineage
build statement by statement in ``tests/lineage/test_spark_build.py``):

- ``regexp_full_match(s, p)``: Spark's RLIKE finds, DuckDB's matches whole -> ``s RLIKE '^(?:p)\\z'`` (``\\z``: Java's
  ``$`` also matches before a final newline);
- ``list_has_any(a, b)`` -> ``arrays_overlap`` of both lists without their NULL elements (DuckDB ignores them;
  ``arrays_overlap`` answers NULL);
- ``json_valid(s)`` -> ``try_parse_json(s) IS NOT NULL``;
- ``json_type(s[, path])``: no Spark function -> the first word of ``schema_of_variant`` of the parsed
  value, in DuckDB's names (``OBJECT``, ``ARRAY``, ``VARCHAR``, ``BIGINT``, ``DOUBLE``, ``BOOLEAN``, ``NULL``); the
  path is written in Spark's form (``$."a.b"`` -> ``$['a.b']``); a negative index or a wildcard is refused;
- ``json_extract_string(s, '$.a[*]')`` (a list in DuckDB; Spark returns one JSON text) ->
  ``from_json(get_json_object(s, '$.a'), 'ARRAY<STRING>')`` when ``$.a`` is an array, else ``[]`` (as DuckDB,
  also for a string that holds an array's text); ``'$.a[*].b'`` -> each element's ``b`` through the parsed
  variant, elements without ``b`` skipped (as DuckDB); a second wildcard, or one in ``json_extract``, is refused;
- ``list(x [ORDER BY k [DESC] [NULLS FIRST|LAST], ...])``: sqlglot drops the ORDER BY and ``collect_list`` drops
  NULLs -> ``(null flag, k, ..., x)`` structs collected, sorted and unwrapped, so NULL keys sort last unless
  ``NULLS FIRST`` (DuckDB's default in both directions), NULL values are kept, and a group with no row gives NULL,
  not ``[]``; keys mixing ASC and DESC, and ``list(...) OVER``, are refused;
- ``regexp_escape(s)`` (none in Spark) -> a backslash before each ASCII punctuation character;
- ``json_type(s, [p, ...])`` / ``json_extract_string(s, [p, ...])`` (DuckDB parses ``s`` once for every path) ->
  ``array(...)`` of the one-path forms above, in the paths' order; a negative index or a wildcard in such a list is
  refused, and so is ``json_extract`` of a list;
- ``epoch_us(ts)`` (left as written by sqlglot; Spark has none) -> ``unix_micros(CAST(ts AS TIMESTAMP))``: exact
  microseconds (a date or naive timestamp read as UTC, the session's zone, as DuckDB reads it), also
  before 1970 (``floor(epoch(ts))`` and ``FLOOR(UNIX_TIMESTAMP(ts))`` differ by a second there: Spark's truncates);
- ``fsum(x)`` (DuckDB's compensated sum, which the files use for every sum of fractional figures: a plain ``sum``
  of 2M credit weights came out different in the last digits on each run, as its threads add in no fixed order;
  ``fsum`` gave the same figure on 8 of 8 runs, and was no slower) -> an exact sum: ``x`` split into 30-bit
  pieces of its whole part and its fraction, each summed as BIGINT, the totals added as DOUBLEs (rounded once
  instead in a GROUP BY whose values have mixed signs, so that a sum that cancels is kept: see
  ``dialect_fsum.exact_sum``). Spark has no compensated sum, and its DOUBLE sum depends on the order the
  partitions are merged in (20M values in 4 or in 64 partitions: totals 549 apart, benchmarks/RESULTS.md); the
  exact one does not. Values of 1e15 or more, NaN and
  infinities, and a piece's sum past BIGINT fall back to the DOUBLE sum (a sum past 2^61 takes the added totals,
  still the same in any order); DISTINCT and ORDER BY inside ``fsum``
  are refused (see ``dialect_fsum.exact_sum``);
- ``list[i]`` (1-based; negative counts from the end; 0 and out of range -> NULL) -> ``get(list, i - 1)`` for a
  positive literal, ``get(list, size(list) - n)`` for ``-n``, and for a computed index
  ``get(list, CASE WHEN i > 0 THEN i - 1 ELSE size(list) + i END)``; ``get`` takes lists only, so Spark rejects a
  map or string indexed this way. Slices ``x[a:b]`` and indexing a string literal are refused; ``x['key']``
  (a map or struct by name) is left as it is.

Known differences the files avoid rather than translate: ``len`` (a string's length on Spark, so lists use
``array_length``), ``unnest`` nested inside another expression, ``* REPLACE``, ``generate_subscripts``,
window functions without ORDER BY (no defined row on either engine), and regular expressions, which are RE2 on
DuckDB and Java's on Spark: beyond the ``\\z`` above they are passed as written, and differ on ``\\b`` next to a
non-ASCII letter, ``(?i)`` on non-ASCII letters (ASCII-only in Java without ``(?u)``), ``.`` against ``\\r``
(Java's ``.`` excludes every line terminator) and ``[[]`` (Java rejects it: write ``\\[``).
"""

from __future__ import annotations

import re
from typing import Any

from modelcensus.errors import InputError
from modelcensus.store.dialect_fsum import exact_sum as _exact_sum
from modelcensus.store.dialect_fsum import is_fsum as _is_fsum
from modelcensus.store.sql_nodes import fn as _fn
from modelcensus.store.sql_nodes import reader as _reader
from modelcensus.store.sql_nodes import shown as _shown


def to_dialect(sql: str, dialect: str) -> str:
    """DuckDB SQL -> the engine's dialect (identity for DuckDB). Raises InputError when it cannot."""
    if dialect == "duckdb":
        return sql
    import sqlglot

    try:
        trees = sqlglot.parse(sql, read=_reader())
    except sqlglot.errors.ParseError as exc:
        raise InputError(f"SQL does not parse as DuckDB SQL: {str(exc).splitlines()[0]}") from None
    out = []
    for tree in trees:
        if tree is None:
            continue
        tree = _bottom_up(tree, _spark_fixes) if dialect == "spark" else tree
        try:
            out.append(tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE))
        except sqlglot.errors.UnsupportedError as exc:
            raise InputError(f"SQL cannot be written for {dialect}: {str(exc).splitlines()[0]}") from None
    return ";\n".join(out)


def _bottom_up(tree: Any, fix: Any) -> Any:
    """Apply ``fix`` to every node, children before parents, so a rewritten node's operands are rewritten too
    (sqlglot's ``transform`` does not descend into a node it replaced)."""
    for node in reversed(list(tree.dfs())):
        new = fix(node)
        if new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def _spark_fixes(node: Any) -> Any:
    """One tree node in DuckDB's reading -> the same meaning in Spark 4's (see the module docstring)."""
    from sqlglot import exp

    full_match = getattr(exp, "RegexpFullMatch", None)
    if full_match is not None and isinstance(node, full_match):
        return _full_match(node)
    if isinstance(node, exp.ArrayOverlaps):
        return _fn("arrays_overlap", _without_nulls(node.this), _without_nulls(node.expression))
    if isinstance(node, (exp.JSONType, exp.JSONExtractScalar)) and isinstance(node.expression, exp.Array):
        return _per_path(node)
    if isinstance(node, exp.JSONExtract) and isinstance(node.expression, exp.Array):
        raise InputError(f"{_shown(node)}: json_extract of a list of paths has no Spark form here")
    if isinstance(node, exp.JSONType):
        return _json_type(node.this, node.expression, node)
    if isinstance(node, (exp.JSONExtractScalar, exp.JSONExtract)) and isinstance(node.expression, exp.JSONPath):
        return _json_extract(node)
    if _is_fsum(node) or (isinstance(node, (exp.Filter, exp.Window)) and _is_fsum(node.this)) or (
            isinstance(node, exp.Window) and isinstance(node.this, exp.Filter) and _is_fsum(node.this.this)):
        return _exact_sum(node)
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg):
        _no_window(node)
        return _collected(node.this, node.expression)
    if isinstance(node, exp.ArrayAgg) and not isinstance(node.parent, exp.Filter):
        _no_window(node)
        return _collected(node)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "regexp_escape" and len(node.expressions) == 1:
        # RE2's QuoteMeta; in Java a backslash before ASCII punctuation is always that character
        return _fn("regexp_replace", node.expressions[0], exp.Literal.string("([!-/:-@\\[-^`{-~])"),
                   exp.Literal.string("\\\\$1"))
    if isinstance(node, exp.Bracket):
        return _list_index(node)
    if isinstance(node, exp.RegexpReplace):
        return _regexp_replace(node)
    if isinstance(node, exp.FromJson) and isinstance(node.expression, exp.Literal):
        return _fn("from_json", node.this, exp.Literal.string(_spark_schema(node.expression.this, node)))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "epoch_us" and len(node.expressions) == 1:
        # both exact BIGINTs; unix_micros takes timestamps only (a DATE or TIMESTAMP_NTZ is cast in the session's
        # time zone, UTC, as DuckDB reads them)
        return _fn("unix_micros", exp.Cast(this=node.expressions[0], to=exp.DataType.build("TIMESTAMP")))
    if isinstance(node, exp.Anonymous) and node.name.lower() == "json_valid" and len(node.expressions) == 1:
        return exp.Not(this=exp.Is(this=_fn("try_parse_json", node.expressions[0]), expression=exp.Null()))
    return node


def _full_match(node: Any) -> Any:
    from sqlglot import exp

    pattern = node.expression
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        pattern = exp.Literal.string(f"^(?:{pattern.this})\\z")  # Java's $ also matches before a final newline
    else:
        pattern = exp.Concat(expressions=[exp.Literal.string("^(?:"), pattern, exp.Literal.string(")\\z")])
    return exp.RegexpLike(this=node.this, expression=pattern)


def _without_nulls(array: Any) -> Any:
    from sqlglot import exp

    var = exp.to_identifier("_e")
    return _fn("filter", array, exp.Lambda(this=exp.Not(this=exp.Is(this=exp.column("_e"), expression=exp.Null())),
                                           expressions=[var]))


def _list_index(node: Any) -> Any:
    """DuckDB's ``x[i]`` on a list -> Spark's ``get`` (0-based, NULL out of range)."""
    from sqlglot import exp

    if len(node.expressions) != 1:
        raise InputError(f"{_shown(node)}: an index with several parts has no Spark form here")
    index, target = node.expressions[0], node.this
    if isinstance(index, exp.Slice):
        raise InputError(f"{_shown(node)}: a slice has no Spark form here (use list_slice in a Spark section)")
    if isinstance(index, exp.Literal) and index.is_string:
        return node  # m['key']: a map or struct field by name, which sqlglot writes as it is
    if isinstance(target, exp.Literal) and target.is_string:
        raise InputError(f"{_shown(node)}: indexing a string has no Spark form here (use substr)")
    literal = index.this if isinstance(index, exp.Neg) else index
    if isinstance(literal, exp.Literal):
        if not re.fullmatch(r"[0-9]+", str(literal.this)):
            raise InputError(f"{_shown(node)}: a list index must be an integer")
        n = int(literal.this) * (-1 if isinstance(index, exp.Neg) else 1)
        if n > 0:
            position: Any = exp.Literal.number(n - 1)
        elif n < 0:  # DuckDB counts from the end
            position = exp.Sub(this=_fn("size", target.copy()), expression=exp.Literal.number(-n))
        else:  # DuckDB: NULL
            position = exp.Literal.number(-1)
    else:
        i = exp.paren(index.copy())
        position = exp.Case(ifs=[exp.If(this=exp.GT(this=i, expression=exp.Literal.number(0)),
                                        true=exp.Sub(this=i.copy(), expression=exp.Literal.number(1)))],
                            default=exp.Add(this=_fn("size", target.copy()), expression=i.copy()))
    return _fn("get", target, position)


def _spark_path(node: Any, parts: list[Any]) -> str:
    """JSON path parts -> a path Spark's get_json_object and try_variant_get both read."""
    from sqlglot import exp

    out = "$"
    for part in parts:
        if isinstance(part, exp.JSONPathRoot):
            continue
        if isinstance(part, exp.JSONPathKey) and isinstance(part.this, str) and "'" not in part.this \
                and "]" not in part.this:
            out += f".{part.this}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part.this) else f"['{part.this}']"
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int) and part.this >= 0:
            out += f"[{part.this}]"
        else:
            raise InputError(f"{_shown(node)}: this JSON path has no Spark form here (keys, [n] and a final [*] do)")
    return out


def _per_path(node: Any) -> Any:
    """``json_type`` / ``json_extract_string`` of a list of literal paths (DuckDB parses the text once for all
    of them) -> a Spark array with one call per path, in the paths' order."""
    from sqlglot import exp, jsonpath

    paths = list(node.expression.expressions)
    if not paths or not all(isinstance(p, exp.Literal) and p.is_string for p in paths):
        raise InputError(f"{_shown(node)}: a list of JSON paths must be literal strings on Spark")
    for p in paths:  # DuckDB counts [-1] from the end and gives a list for [*]; Spark's per-path forms do not
        if re.search(r"\[\s*(?:-|\*)", p.this):
            raise InputError(f"{_shown(node)}: path {p.this!r} in a list of paths has no Spark form here "
                             "(keys and [n] do)")
    if isinstance(node, exp.JSONType):
        return exp.Array(expressions=[_json_type(node.this.copy(), p, node) for p in paths])
    out = []
    for p in paths:
        try:
            path = jsonpath.parse(p.this)
        except Exception:  # noqa: BLE001 - sqlglot's path parser raises several types
            raise InputError(f"json_extract_string path {p.this!r} has no Spark form here") from None
        one = exp.JSONExtractScalar(this=node.this.copy(), expression=path)
        out.append(_json_extract(one))
    return exp.Array(expressions=out)


def _json_type(text: Any, path: Any, node: Any) -> Any:
    """json_type(s, path): DuckDB's type names from Spark's variant schema (STRING -> VARCHAR, VOID -> NULL;
    NULL when the text is not JSON or the path is absent, as in DuckDB)."""
    return _type_name(_variant_at(text, path, node))


def _variant_at(text: Any, path: Any, node: Any) -> Any:
    """The parsed JSON text, at the path when there is one (NULL when either is missing)."""
    from sqlglot import exp, jsonpath

    value = _fn("try_parse_json", text)
    if path is not None:
        if isinstance(path, exp.JSONPath):
            parts = list(path.expressions)
        elif isinstance(path, exp.Literal) and path.is_string:
            try:
                parts = list(jsonpath.parse(path.this).expressions)
            except Exception:  # noqa: BLE001 - sqlglot's path parser raises several types
                raise InputError(f"json_type path {path.this!r} has no Spark form here") from None
        else:
            raise InputError(f"{_shown(node)}: json_type needs a literal path on Spark")
        value = _fn("try_variant_get", value, exp.Literal.string(_spark_path(node, parts)))
    return value


_TYPE_NAME = """CASE WHEN upper(schema_of_variant(v)) IN ('TINYINT', 'SMALLINT', 'INT', 'BIGINT')
                     OR upper(schema_of_variant(v)) LIKE 'DECIMAL(%,0)'
  THEN CASE WHEN try_variant_get(v, '$', 'DECIMAL(38,0)') < 0
            THEN IF(try_variant_get(v, '$', 'DECIMAL(38,0)') >= -9223372036854775808, 'BIGINT', 'DOUBLE')
            ELSE IF(try_variant_get(v, '$', 'DECIMAL(38,0)') <= 18446744073709551615, 'UBIGINT', 'DOUBLE') END
  ELSE coalesce(try_element_at(map('STRING', 'VARCHAR', 'VOID', 'NULL', 'DECIMAL', 'DOUBLE', 'FLOAT', 'DOUBLE'),
                               upper(regexp_extract(schema_of_variant(v), '^[A-Za-z]+', 0))),
                upper(regexp_extract(schema_of_variant(v), '^[A-Za-z]+', 0))) END"""


def _type_name(value: Any) -> Any:
    """A variant's type in DuckDB's json_type names: an integer is UBIGINT when >= 0 (up to 2^64 - 1), BIGINT
    when negative (down to -2^63), DOUBLE beyond; a string VARCHAR, a JSON null NULL, any fraction DOUBLE."""
    import sqlglot
    from sqlglot import exp

    template = sqlglot.parse_one(_TYPE_NAME, read="spark")
    return template.transform(lambda n: value.copy() if isinstance(n, exp.Column) and n.name == "v" else n)


def _json_extract(node: Any) -> Any:
    """json_extract_string(s, '$.a[*]...') -> the list DuckDB gives: [] unless $.a is an array; after ``[*].b``,
    only the elements that have b. Paths without a wildcard are left to sqlglot; a second wildcard is refused."""
    from sqlglot import exp

    parts = list(node.expression.expressions)
    wild = [i for i, p in enumerate(parts) if isinstance(p, exp.JSONPathSubscript)
            and isinstance(p.this, exp.JSONPathWildcard)]
    if not wild:
        return node
    if len(wild) > 1 or not isinstance(node, exp.JSONExtractScalar):
        raise InputError(f"{_shown(node)}: this JSON path wildcard has no Spark form here (one [*] in "
                         "json_extract_string does)")
    path = exp.Literal.string(_spark_path(node, parts[:wild[0]]))
    schema = _fn("schema_of_variant", _variant_at(node.this.copy(), path.copy(), node))
    is_array = exp.Like(this=_fn("upper", schema), expression=exp.Literal.string("ARRAY%"))
    rest = parts[wild[0] + 1:]
    if rest:  # each element's value at the rest of the path, elements without it skipped (as DuckDB)
        after = exp.Literal.string(_spark_path(node, rest))
        elements = _fn("try_variant_get", _fn("try_parse_json", node.this.copy()), path,
                       exp.Literal.string("ARRAY<VARIANT>"))
        j = exp.column("_j")
        present = exp.Lambda(this=exp.Not(this=exp.Is(this=_fn("try_variant_get", j, after), expression=exp.Null())),
                             expressions=[exp.to_identifier("_j")])
        value = exp.Lambda(this=_fn("try_variant_get", j.copy(), after.copy(), exp.Literal.string("STRING")),
                           expressions=[exp.to_identifier("_j")])
        values = _fn("transform", _fn("filter", elements, present), value)
    else:
        values = _fn("from_json", _fn("get_json_object", node.this.copy(), path), exp.Literal.string("ARRAY<STRING>"))
    empty = exp.Cast(this=_fn("array"), to=exp.DataType.build("ARRAY<STRING>", dialect="spark"))
    return exp.Case(ifs=[exp.If(this=is_array, true=values),
                         exp.If(this=exp.Not(this=exp.Is(this=node.this.copy(), expression=exp.Null())), true=empty)])


def _no_window(node: Any) -> None:
    from sqlglot import exp

    if isinstance(node.parent, exp.Window):
        raise InputError(f"{_shown(node.parent)}: list(...) OVER (...) has no Spark form here")


def _collected(node: Any, where: Any = None) -> Any:
    """list(x [ORDER BY k1, k2]) -> collect (null flag, k1, null flag, k2, x) structs, sort them, keep x: Spark's
    collect_list has no order and drops NULL x; NULL keys sort last (first with NULLS FIRST), as in DuckDB, and
    a group with no row (or all filtered out) gives NULL, not []."""
    from sqlglot import exp

    value, keys = node.this, []
    if isinstance(value, exp.Order):
        value, keys = value.this, list(value.expressions)
    distinct = isinstance(value, exp.Distinct)
    if distinct and len(value.expressions) != 1:
        raise InputError(f"{_shown(node)}: list(DISTINCT a, b) has no Spark form here")
    inner = value.expressions[0] if distinct else value
    directions = {bool(k.args.get("desc")) for k in keys}
    if len(directions) > 1:
        raise InputError(f"{_shown(node)}: list(... ORDER BY) mixing ASC and DESC has no Spark form here")
    desc = directions == {True}
    fields: list[Any] = []
    for i, key in enumerate(keys):
        null_flag: Any = exp.Is(this=key.this.copy(), expression=exp.Null())
        if bool(key.args.get("nulls_first")) != desc:  # the flag sorts NULL keys to DuckDB's end
            null_flag = exp.Not(this=null_flag)
        fields += [exp.Literal.string(f"n{i}"), null_flag, exp.Literal.string(f"k{i}"), key.this.copy()]
    pair = _fn("named_struct", *fields, exp.Literal.string("v"), inner.copy())

    def collect() -> Any:
        agg = exp.ArrayAgg(this=exp.Distinct(expressions=[pair.copy()]) if distinct else pair.copy())
        return exp.Filter(this=agg, expression=where.copy()) if where is not None else agg

    ordered = collect()
    if keys:
        ordered = _fn("sort_array", ordered, exp.false()) if desc else _fn("array_sort", ordered)
    lam = exp.Lambda(this=exp.Dot(this=exp.column("_s"), expression=exp.to_identifier("v")),
                     expressions=[exp.to_identifier("_s")])
    nonempty = exp.GT(this=_fn("size", collect()), expression=exp.Literal.number(0))
    return exp.Case(ifs=[exp.If(this=nonempty, true=_fn("transform", ordered, lam))])


__all__ = ["to_dialect"]


def _regexp_replace(node: Any) -> Any:
    """regexp_replace(s, p, r[, 'g']): RE2's rewrite (``\\N`` a group, ``\\\\`` a backslash, ``$`` itself) in
    Java's (``$N``, ``\\\\``, ``\\$``). With 'g' both replace every match. Without it DuckDB replaces the first
    match and Spark every one, so the pattern becomes ``^(?s:(.*?))(p)``: it can match only once, at the start,
    and reaches exactly the first match of p (the lazy prefix is as short as it can be); the rewrite puts the
    prefix back and its groups move by two. Other options and computed patterns or rewrites are refused."""
    import re

    from sqlglot import exp

    pattern, rewrite, mods = node.expression, node.args.get("replacement"), node.args.get("modifiers")
    flags = mods.this if isinstance(mods, exp.Literal) else "" if mods is None else None
    if flags not in ("", "g") or not isinstance(rewrite, exp.Literal) or not isinstance(pattern, exp.Literal):
        raise InputError(f"Spark: no translation of {_shown(node)} (options other than 'g', or a computed "
                         "pattern or rewrite)")
    shift = 0 if flags == "g" else 2
    parts = []
    for m in re.finditer(r"\\(.)|(\$)|([^\\$]+)|(\\$)", rewrite.this, re.S):
        esc, dollar, plain, trailing = m.groups()
        if plain is not None:
            parts.append(plain)
        elif dollar:
            parts.append("\\$")
        elif esc == "\\":
            parts.append("\\\\")
        elif esc is not None and esc.isdigit():
            parts.append(f"${int(esc) + shift}" if shift or esc != "0" else "$0")
        else:  # DuckDB refuses the rewrite itself ("\\ must be followed by a digit or \\")
            raise InputError(f"Spark: no translation of {_shown(node)}: a rewrite's backslash must come before a "
                             "digit or a backslash")
        if trailing:
            raise InputError(f"Spark: no translation of {_shown(node)}: the rewrite ends in a backslash")
    # a group number followed by a digit: Java would read both digits as one number
    java = "".join(p if i == 0 or not (p[:1].isdigit() and re.search(r"\$\d+$", parts[i - 1])) else "\\" + p
                   for i, p in enumerate(parts))
    if shift:
        java = "$1" + java
        pattern = exp.Literal.string(f"^(?s:(.*?))({pattern.this})")
    return exp.RegexpReplace(this=node.this, expression=pattern, replacement=exp.Literal.string(java))


# only VARCHAR for now: DuckDB casts loosely ("12" and 12.5 into BIGINT), Spark's JSON reader gives NULL (review)
_SPARK_TYPES = {"VARCHAR": "STRING"}


def _spark_schema(structure: str, node: Any) -> str:
    """DuckDB's from_json structure (JSON of type names) as Spark's DDL schema."""
    import json

    def ddl(v: Any) -> str:
        if isinstance(v, str) and v.upper() in _SPARK_TYPES:
            return _SPARK_TYPES[v.upper()]
        if isinstance(v, list) and len(v) == 1:
            return f"ARRAY<{ddl(v[0])}>"
        if isinstance(v, dict) and v and all(isinstance(k, str) and "`" not in k for k in v):
            return "STRUCT<" + ", ".join(f"`{k}`: {ddl(t)}" for k, t in v.items()) + ">"
        raise InputError(f"Spark: no translation of the from_json structure in {_shown(node)}")

    try:
        return ddl(json.loads(structure))
    except ValueError:
        raise InputError(f"Spark: from_json structure is not JSON in {_shown(node)}") from None
