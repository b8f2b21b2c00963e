"""No query tells json_type's number names apart: Spark's json_type names integers by value, DuckDB by text
(``-0`` is BIGINT on DuckDB, UBIGINT on Spark: a variant keeps no negative zero). That cannot change a result
while every use of a json_type value is a comparison with a name that is not a number's.

The guard is an allow-list (review5 G: a list of forbidden comparison shapes let 13 valid forms through, such as
``starts_with``, ``<``, ``BETWEEN``, a CTE column list, a join to a VALUES table, a map look-up, and a column
made in one query file and compared in another). Every use of a json_type value is flagged unless it is an
operand of ``=``, ``<>``, ``IS [NOT] DISTINCT FROM``, ``[NOT] IN (literals)`` or ``CASE x WHEN`` whose other side
is one of the literals below, or it passes the value on unchanged (an alias, a list index, a column selected as
itself, a CASE result), whose own uses are then checked; aliases are followed by name across all query files
parsed together (a guard may over-flag, never under-flag).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from modelcensus.errors import InputError

SAFE = frozenset({"VARCHAR", "ARRAY", "OBJECT", "NULL", "BOOLEAN"})  # json_type's names that are not numbers'


def _safe_literal(node: Any) -> bool:
    from sqlglot import exp

    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Literal) and node.is_string and str(node.this) in SAFE


def json_type_unsafe_uses(files: dict[str, str]) -> list[str]:
    """Uses of a json_type value outside the allow-list, as ``file: SQL of the use``, over all ``files`` (name ->
    DuckDB SQL) parsed together so an alias made in one is followed into the others."""
    import sqlglot
    from sqlglot import exp

    trees = [(name, t) for name, sql in files.items() for t in sqlglot.parse(sql, read="duckdb") if t is not None]
    tainted: set[str] = set()

    def use(node: Any) -> Any:
        """None when this use is allowed (aliases it makes join ``tainted``), else the node to name."""
        parent = node.parent
        while isinstance(parent, exp.Paren):
            node, parent = parent, parent.parent
        key = node.arg_key
        if isinstance(parent, exp.Alias):
            tainted.add(parent.alias.lower())
            return None
        if isinstance(parent, exp.Bracket) and key == "this":  # one element of json_type(x, [paths])
            return use(parent)
        if isinstance(parent, (exp.EQ, exp.NEQ, exp.NullSafeEQ, exp.NullSafeNEQ)):
            return None if _safe_literal(parent.expression if key == "this" else parent.this) else parent
        if isinstance(parent, exp.In) and key == "this" and not parent.args.get("query"):
            return None if parent.expressions and all(map(_safe_literal, parent.expressions)) else parent
        if isinstance(parent, exp.Case) and key == "this":  # CASE json_type(x) WHEN ...
            return None if all(_safe_literal(w.this) for w in parent.args.get("ifs") or []) else parent
        if isinstance(parent, exp.Case) and key == "default":  # ELSE json_type(x): the CASE carries the value
            return use(parent)
        if isinstance(parent, exp.If) and key == "true" and isinstance(parent.parent, exp.Case):
            return use(parent.parent)
        if isinstance(parent, exp.Select) and key == "expressions" and isinstance(node, exp.Column):
            return None  # SELECT jt: the same name, checked where it is used
        return parent

    while True:  # until no new alias is tainted: an alias of an alias, in any file
        before, found = len(tainted), []
        for name, tree in trees:
            for node in tree.walk():
                if isinstance(node, exp.JSONType) or (isinstance(node, exp.Column) and node.name.lower() in tainted):
                    bad = use(node)
                    if bad is not None:
                        found.append(f"{name}: {bad.sql(dialect='duckdb')[:160]}")
        if len(tainted) == before:
            return found


def _flags(sql: str) -> list[str]:
    return json_type_unsafe_uses({"q": sql})


@pytest.mark.parametrize("sql", [
    # review5 G: valid DuckDB that tells number names apart and passed the deny-list (labelled: flagged now)
    "WITH s(jt) AS (SELECT json_type(x) FROM t) SELECT * FROM s WHERE jt = 'BIGINT'",
    "SELECT list_contains(json_type(x, ['$.a', '$.b']), 'BIGINT') FROM t",
    "SELECT starts_with(json_type(x), 'BIG') FROM t",
    "SELECT left(json_type(x), 3) = 'BIG' FROM t",
    "SELECT json_type(x) IN (SELECT 'BIGINT') FROM t",
    "SELECT json_type(x) = 'BIG' || 'INT' FROM t",
    "SELECT json_type(x) < 'C' FROM t",
    "SELECT json_type(x) BETWEEN 'BIGINT' AND 'BIGINT' FROM t",
    "SELECT * FROM t JOIN (VALUES ('BIGINT')) v(n) ON json_type(t.x) = v.n",
    "SELECT length(json_type(x)) = 6 FROM t",
    "SELECT count(DISTINCT json_type(x)) FROM t",
    "SELECT s.k = 'BIGINT' FROM (SELECT {'k': json_type(x)} AS s FROM t)",
    "SELECT map {'BIGINT': 1}[json_type(x)] FROM t",
    # caught by the deny-list too
    "SELECT m._t[1] = 'BIGINT' FROM (SELECT json_type(x, ['$.a']) AS _t FROM t) m",
    "SELECT json_type(x) = upper('bigint') FROM t",
    "SELECT json_type(x) NOT IN ('VARCHAR', 'UBIGINT') FROM t",
    "SELECT json_type(x) ~ '.*INT' FROM t",
    "SELECT json_type(x) LIKE '%INT' FROM t",
    "SELECT CASE json_type(x, '$.a') WHEN 'ARRAY' THEN 1 WHEN 'BIGINT' THEN 2 END FROM t",
    "SELECT k FROM (SELECT CASE json_type(x) WHEN 'ARRAY' THEN 'list' ELSE json_type(x) END AS k FROM t) "
    "WHERE k IN ('list', 'DOUBLE')",
    "SELECT upper(json_type(x)) <> 'bigint' FROM t",
    "SELECT regexp_matches(json_type(x), 'INT$') FROM t",
    "WITH s AS (SELECT json_type(y) AS jt, x FROM t) "
    "SELECT CASE json_type(x) WHEN 'VARCHAR' THEN 1 END, CASE WHEN jt = 'UBIGINT' THEN 2 END FROM s",
    # and forms the allow-list refuses though they cannot tell numbers apart: it over-flags, never under-flags
    "SELECT json_type(x) LIKE 'VAR%' FROM t",
    "SELECT json_type(x) = json_type(y) FROM t",
    "SELECT json_type(x) FROM t GROUP BY ALL",
])
def test_the_guard_flags_every_use_outside_the_allow_list(sql: str) -> None:
    assert _flags(sql) != []


@pytest.mark.parametrize("sql", [
    "SELECT CASE json_type(x) WHEN 'VARCHAR' THEN 1 WHEN 'ARRAY' THEN 2 END FROM t",
    "SELECT * FROM (SELECT json_type(x) AS jt, typeof(y) AS ty FROM t) WHERE jt IN ('OBJECT', 'ARRAY') "
    "AND ty = 'BIGINT'",  # typeof is not json_type
    "SELECT json_type(x) NOT IN ('VARCHAR', 'NULL') AND (json_type(y)) <> 'BOOLEAN' FROM t",
    "SELECT coalesce(m._t[1] = 'OBJECT', FALSE), CASE WHEN m._t[2] = 'ARRAY' THEN 1 END "
    "FROM (SELECT json_type(x, ['$.a', '$.b']) AS _t FROM t) m",  # lin_m's form
    "SELECT jt FROM (SELECT json_type(x) AS jt FROM t) WHERE jt IS NOT DISTINCT FROM 'ARRAY'",
    "SELECT unnest(CASE json_type(x, '$.d') WHEN 'ARRAY' THEN [1] WHEN 'VARCHAR' THEN [2] END) FROM t",
])
def test_the_guard_passes_comparisons_with_names_that_are_not_numbers(sql: str) -> None:
    assert _flags(sql) == []


def test_the_guard_follows_an_alias_from_one_file_into_another() -> None:
    """Labelled before the run: a column made from json_type in one query file and compared with a number name in
    another is flagged when the files are parsed together (the deny-list parsed each file alone: missed)."""
    files = {"a.sql": "SELECT id, json_type(config, '$.q') AS q_type FROM models",
             "b.sql": "SELECT id FROM a WHERE q_type = 'UBIGINT'"}
    assert json_type_unsafe_uses(files) == ["b.sql: q_type = 'UBIGINT'"]
    assert json_type_unsafe_uses({"b.sql": files["b.sql"]}) == []


def _python_uses(text: str) -> list[str]:
    """json_type calls in Python source (SQL in f-strings, which cannot be parsed) outside the allow-list: each must
    be followed by ``= 'X'`` / ``<> 'X'``, or be ``CASE json_type(..) WHEN 'X' ... END`` with every WHEN literal
    an X, X a name in SAFE."""
    found = []
    for m in re.finditer(r"json_type\(", text):
        depth, i = 1, m.end()
        while depth and i < len(text):  # the call's closing parenthesis
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        after = text[i:i + 400]
        compared = re.match(r"\s*(=|<>|!=)\s*'([^']*)'", after)
        if compared and compared.group(2) in SAFE:
            continue
        case_body = after.split("END", 1)[0] if "END" in after else ""
        whens = re.findall(r"WHEN\s+'([^']*)'", case_body)
        if re.search(r"CASE\s+$", text[:m.start()]) and whens and set(whens) <= SAFE:
            continue
        found.append(text[m.start():i + 60].replace("\n", " "))
    return found


def test_the_python_scan_is_an_allow_list_too() -> None:
    assert _python_uses("f\"CASE WHEN json_valid({c}) AND json_type({q(c)}) = 'ARRAY' THEN 1 END\"") == []
    case = "f\"CASE json_type({col}, '$.b') \"\n  f\"WHEN 'VARCHAR' THEN 1 \" f\"WHEN 'ARRAY' THEN 2 END\""
    assert _python_uses(case) == []
    for bad in ("f\"json_type({c}) = 'UBIGINT'\"", "f\"starts_with(json_type({c}), 'BIG')\"",
                "f\"CASE json_type({c}) WHEN 'ARRAY' THEN 1 WHEN 'DOUBLE' THEN 2 END\"", "f\"json_type({c}) < 'C'\""):
        assert _python_uses(bad) != [], bad


def test_no_query_tells_json_number_types_apart() -> None:
    """Every shipped query file (each dialect section) is parsed, all together; SQL written in Python f-strings
    cannot be, and is scanned as text (also an allow-list)."""
    import sqlglot
    from sqlglot import exp

    import modelcensus
    from modelcensus.store.sql_files import parse_sql_file

    src = Path(modelcensus.__file__).parent
    seen, written, found, files = 0, 0, [], {}
    for path in sorted(src.rglob("*.sql")):
        text = path.read_text(encoding="utf-8")
        try:
            f = parse_sql_file(text, path.name)
        except InputError:  # not a query file (a schema migration)
            assert "json_type" not in text.lower(), path
            continue
        # parameters at their defaults, an identifier where a file has none (the caller gives it)
        sql = re.sub(r"\$\{(\w+)\}", lambda m, f=f: f.params.get(m.group(1), "mc_param"), f.query)
        files[str(path.relative_to(src))] = sql
        seen += sum(1 for t in sqlglot.parse(sql, read="duckdb") if t for _ in t.find_all(exp.JSONType))
        written += len(re.findall(r"json_type\s*\(", re.sub(r"--[^\n]*", "", sql), re.I))
        found += [f"{path.name} ({d}): json_type" for d, q in f.dialects.items() if "json_type" in q.lower()]
    # guards the guard: the parse saw every json_type call the files hold (and there are some)
    assert seen == written >= 4, (seen, written)
    found += json_type_unsafe_uses(files)
    seen_py = 0
    for path in sorted(src.rglob("*.py")):
        if path.name == "dialect.py":  # the rewrite itself names them
            continue
        text = path.read_text(encoding="utf-8")
        seen_py += len(re.findall(r"json_type\(", text))
        found += [f"{path.name}: {hit}" for hit in _python_uses(text)]
    assert seen_py >= 4
    assert found == []
