"""DuckDB SQL -> another engine's dialect: ``sqlglot`` plus the rewrites it does not make for Spark 4.

DuckDB's dialect is the source of truth of every query file; ``sqlglot`` transpiles it. What sqlglot leaves
as it is, or writes in a form Spark rejects or reads differently, is rewritten here, in one place, each rule
found by running the whole lineage build on both engines statement by statement and comparing every table
(``tests/lineage/test_spark_build.py``):

- ``regexp_full_match(s, p)``: Spark's RLIKE finds, DuckDB's matches whole -> ``s RLIKE '^(?:p)\\z'`` (``\\z``: Java's
  ``$`` also matches before a final newline);
- ``list_has_any(a, b)``: sqlglot writes ``a && b`` -> ``arrays_overlap(a, b)``;
- ``json_valid(s)`` -> ``try_parse_json(s) IS NOT NULL``;
- ``json_type(s[, path])``: no Spark function -> the first word of ``schema_of_variant`` of the parsed
  value, in DuckDB's names (``OBJECT``, ``ARRAY``, ``VARCHAR``, ``BIGINT``, ``DOUBLE``, ``BOOLEAN``, ``NULL``);
- ``json_extract_string(s, '$.a[*]')`` (a list in DuckDB; sqlglot keeps the path, and Spark returns one
  JSON text) -> ``from_json(get_json_object(s, '$.a'), 'ARRAY<STRING>')``;
- ``list(x ORDER BY k)``: sqlglot drops the ORDER BY -> the list sorted by ``k`` (``array_sort`` of
  ``(k, x)`` pairs); only ascending keys are supported, anything else is refused, not mistranslated;
- ``regexp_escape(s)`` (none in Spark) -> a backslash before each ASCII punctuation character;
- ``list[i]`` (1-based, NULL out of range; sqlglot does not shift a computed index) -> ``get(list, i - 1)``.

Known differences the files avoid rather than translate: ``len`` (a string's length on Spark, so lists use
``array_length``), ``unnest`` nested inside another expression, ``* REPLACE``, ``generate_subscripts``,
and window functions without ORDER BY (no defined row on either engine).
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError


def to_dialect(sql: str, dialect: str) -> str:
    """DuckDB SQL -> the engine's dialect (identity for DuckDB). Raises InputError when it cannot."""
    if dialect == "duckdb":
        return sql
    import sqlglot

    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise InputError(f"SQL does not parse as DuckDB SQL: {str(exc).splitlines()[0]}") from None
    out = []
    for tree in trees:
        if tree is None:
            continue
        tree = tree.transform(_spark_fixes) if dialect == "spark" else tree
        try:
            out.append(tree.sql(dialect=dialect, unsupported_level=sqlglot.ErrorLevel.RAISE))
        except sqlglot.errors.UnsupportedError as exc:
            raise InputError(f"SQL cannot be written for {dialect}: {str(exc).splitlines()[0]}") from None
    return ";\n".join(out)


def _fn(name: str, *args: Any) -> Any:
    from sqlglot import exp

    return exp.Anonymous(this=name, expressions=list(args))


def _spark_fixes(node: Any) -> Any:
    """One tree node in DuckDB's reading -> the same meaning in Spark 4's (see the module docstring)."""
    from sqlglot import exp

    full_match = getattr(exp, "RegexpFullMatch", None)
    if full_match is not None and isinstance(node, full_match):
        return _full_match(node)
    if isinstance(node, exp.ArrayOverlaps):
        return _fn("arrays_overlap", node.this, node.expression)
    if isinstance(node, exp.JSONType):
        return _json_type(node)
    if isinstance(node, exp.JSONExtractScalar) and _ends_in_wildcard(node.expression):
        return _json_string_list(node)
    if isinstance(node, exp.Filter) and isinstance(node.this, exp.ArrayAgg) and isinstance(node.this.this, exp.Order):
        return _ordered_list(node.this, node.expression)
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        return _ordered_list(node)
    if isinstance(node, exp.Anonymous) and node.name.lower() == "regexp_escape" and len(node.expressions) == 1:
        # RE2's QuoteMeta; in Java a backslash before ASCII punctuation is always that character
        return _fn("regexp_replace", node.expressions[0], exp.Literal.string("([!-/:-@\\[-^`{-~])"),
                   exp.Literal.string("\\\\$1"))
    if isinstance(node, exp.Bracket) and not _is_key_access(node):
        index = node.expressions[0]
        if isinstance(index, exp.Literal):  # sqlglot already made a literal index 0-based when parsing
            return _fn("get", node.this, index.copy())
        return _fn("get", node.this, exp.Sub(this=exp.paren(index.copy()), expression=exp.Literal.number(1)))
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


def _json_type(node: Any) -> Any:
    """json_type(s, path): DuckDB's type names from Spark's variant schema (STRING -> VARCHAR, VOID -> NULL;
    NULL when the text is not JSON or the path is absent, as in DuckDB)."""
    from sqlglot import exp

    value = _fn("try_parse_json", node.this)
    if node.expression is not None:
        value = _fn("try_variant_get", value, node.expression)
    word = _fn("upper", _fn("regexp_extract", _fn("schema_of_variant", value), exp.Literal.string("^[A-Za-z]+"),
                            exp.Literal.number(0)))
    names = {"STRING": "VARCHAR", "VOID": "NULL", "DECIMAL": "DOUBLE", "FLOAT": "DOUBLE", "INT": "BIGINT",
             "SMALLINT": "BIGINT", "TINYINT": "BIGINT"}
    mapping = _fn("map", *(exp.Literal.string(x) for pair in names.items() for x in pair))
    return exp.Coalesce(this=_fn("try_element_at", mapping, word), expressions=[word.copy()])


def _ends_in_wildcard(path: Any) -> bool:
    from sqlglot import exp

    parts: list[Any] = list(path.expressions) if isinstance(path, exp.JSONPath) else []
    return bool(parts) and isinstance(parts[-1], exp.JSONPathSubscript) \
        and isinstance(parts[-1].this, exp.JSONPathWildcard)


def _json_string_list(node: Any) -> Any:
    from sqlglot import exp

    path = node.expression.copy()
    path.set("expressions", path.expressions[:-1])
    inner = exp.JSONExtractScalar(this=node.this, expression=path)
    return _fn("from_json", inner, exp.Literal.string("ARRAY<STRING>"))


def _ordered_list(node: Any, where: Any = None) -> Any:
    """list(x ORDER BY k1, k2): Spark's collect_list has no order, so sort (k1, k2, x) structs and keep x.
    NULL values are dropped, as collect_list drops them (the query files aggregate non-NULL values)."""
    from sqlglot import exp

    order = node.this
    keys = order.expressions
    if any(k.args.get("desc") for k in keys):
        raise InputError("list(... ORDER BY ... DESC) has no Spark form here: sort ascending or write a Spark section")
    value = order.this
    distinct = isinstance(value, exp.Distinct)
    inner = value.expressions[0] if distinct else value

    def collect(this: Any) -> Any:
        agg = exp.ArrayAgg(this=this)
        return exp.Filter(this=agg, expression=where.copy()) if where is not None else agg

    if len(keys) == 1 and keys[0].this == inner:  # the common case: the list of its own values, sorted
        return _fn("array_sort", collect(value.copy()))
    fields = [arg for i, k in enumerate(keys) for arg in (exp.Literal.string(f"k{i}"), k.this.copy())]
    pair = _fn("named_struct", *fields, exp.Literal.string("v"), inner.copy())
    agg = collect(exp.Distinct(expressions=[pair]) if distinct else pair)
    lam = exp.Lambda(this=exp.Dot(this=exp.column("s"), expression=exp.to_identifier("v")),
                     expressions=[exp.to_identifier("s")])
    return _fn("transform", _fn("array_sort", agg), lam)


def _is_key_access(node: Any) -> bool:
    """m['key'] (a map or struct field by name) is not a list index."""
    from sqlglot import exp

    index = node.expressions[0] if len(node.expressions) == 1 else None
    return index is None or (isinstance(index, exp.Literal) and index.is_string)


__all__ = ["to_dialect"]
