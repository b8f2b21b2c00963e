"""The query files and their runner: every ``.sql`` file parses, says what it reads and produces, transpiles
to Spark SQL with sqlglot; files that keep an engine-specific form are listed here; the runner orders files
by what they read and refuses cycles, missing inputs and free-text parameters."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot

from modelcensus.errors import InputError
from modelcensus.metrics.snapshot_folder import query_files, sql_folder
from modelcensus.store.engine import to_dialect
from modelcensus.store.engine_duckdb import DuckDBEngine
from modelcensus.store.sql_files import parse_sql_file, plan, run_files

FILES = query_files()
# Files that hold their own Spark form beside the DuckDB one, and why. None today: sqlglot translates every
# file (checked on Spark by tests/metrics/test_engines.py), and the two DuckDB functions it leaves alone
# (regexp_full_match, json_valid, in the staging rules) are rewritten in store/engine.py:_spark_fixes.
# A file that gains a "-- dialect: spark" section must be listed here with its reason.
SPARK_SECTIONS: dict[str, str] = {}
# tables the Python side registers before the files run (metrics/snapshot_folder.py)
# tables callers register: the --snapshots slice's inputs, and the report figures' (metrics.report_figures)
REGISTERED = {"hub_rows", "snapshot_index", "reg_namespaces", "reg_model_aliases", "month_fractions",
              "movers_base", "movers_latest", "grade_origins", "grade_models", "origin_rows", "edge_rows",
              "snapshot_files", "reg_licenses", "latest_models", "namespace_regions",
              "curated_sizes", "release_fixes", "ram_ages"}  # option files and checkpoint ages, per call


def test_every_file_is_loaded() -> None:
    names = sorted(e.name for e in sql_folder().iterdir() if e.name.endswith(".sql"))
    assert sorted(f.name for f in FILES.values()) == names and len(names) >= 8


@pytest.mark.parametrize("produces", sorted(FILES))
def test_file_parses_and_names_its_tables(produces: str) -> None:
    f = FILES[produces]
    assert f.reads and f.produces == produces
    tree = sqlglot.parse_one(f.text("duckdb"), read="duckdb")
    # every table the query reads is declared in its header (CTE names are not tables)
    ctes = {c.alias for c in tree.find_all(sqlglot.exp.CTE)}
    used = {t.name for t in tree.find_all(sqlglot.exp.Table)} - ctes
    assert used <= set(f.reads), f"{f.name} reads {used - set(f.reads)} without declaring them"
    assert set(f.reads) <= used | REGISTERED | set(FILES), f"{f.name} declares tables nobody makes"


@pytest.mark.parametrize("produces", sorted(FILES))
def test_file_transpiles_to_spark(produces: str) -> None:
    f = FILES[produces]
    spark = f.text("spark")
    assert "${" not in spark
    sqlglot.parse_one(spark, read="spark")  # what Spark is given is valid Spark SQL to sqlglot too
    if f.name not in SPARK_SECTIONS:
        assert spark == to_dialect(f.text("duckdb"), "spark")


def test_engine_specific_forms_are_listed() -> None:
    assert {f.name for f in FILES.values() if "spark" in f.dialects} == set(SPARK_SECTIONS)


def test_a_dialect_section_wins_over_transpiling() -> None:
    f = parse_sql_file("-- reads: t\n-- produces: u\nSELECT list(x) AS xs FROM t\n-- dialect: spark\n"
                       "SELECT collect_list(x) AS xs FROM t", "u.sql")
    assert f.text("spark") == "SELECT collect_list(x) AS xs FROM t"
    assert f.text("duckdb") == "SELECT list(x) AS xs FROM t"


def test_plan_orders_by_reads_and_covers_every_file() -> None:
    order = [f.produces for f in plan(FILES, sorted(FILES), REGISTERED)]
    assert sorted(order) == sorted(FILES)
    for i, table in enumerate(order):
        assert set(FILES[table].reads) <= REGISTERED | set(order[:i])


def test_runner_refuses_cycles_missing_tables_and_free_text() -> None:
    a = parse_sql_file("-- reads: b\n-- produces: a\nSELECT * FROM b", "a.sql")
    b = parse_sql_file("-- reads: a\n-- produces: b\nSELECT * FROM a", "b.sql")
    with pytest.raises(InputError, match="cycle: a -> b -> a"):
        plan({"a": a, "b": b}, ["a"], set())
    with pytest.raises(InputError, match="no query file produces 'b'"):
        plan({"a": a}, ["a"], set())
    p = parse_sql_file("-- reads: t\n-- produces: u\n-- params: col=x\nSELECT ${col} FROM t", "u.sql")
    assert p.text("duckdb") == "SELECT x FROM t"
    with pytest.raises(InputError, match="expected an identifier"):
        p.text("duckdb", {"col": "x; DROP TABLE t"})
    with pytest.raises(InputError, match="must name what it reads"):
        parse_sql_file("SELECT 1", "bare.sql")


def test_runner_materialises_in_order_on_duckdb() -> None:
    files = {f.produces: f for f in (
        parse_sql_file("-- reads: base\n-- produces: doubled\nSELECT x * 2 AS x FROM base", "doubled.sql"),
        parse_sql_file("-- reads: doubled\n-- produces: total\nSELECT sum(x) AS s FROM doubled", "total.sql"))}
    eng = DuckDBEngine()
    try:
        eng.materialise("base", "SELECT * FROM range(4) t(x)")
        assert run_files(eng, files, ["total"], {"base"}, "duckdb") == ["doubled.sql", "total.sql"]
        assert eng.query("SELECT s FROM total").column(0).to_pylist() == [12]
    finally:
        eng.close()


def test_code_literals_are_quoted_and_fragments_verbatim_but_plain_text_is_refused(tmp_path) -> None:
    from modelcensus.store.sql_files import Fragment, Literal, QueryFolder

    (tmp_path / "pick.sql").write_text("-- reads: t\n-- produces: picked\n-- params: col=x\n"
                                       "SELECT ${col} FROM t WHERE regexp_matches(name, ${pat}) AND ${cond}\n",
                                       encoding="utf-8")
    folder = QueryFolder(tmp_path, {"pat": Literal("it's (a|b)\\d"), "cond": Fragment("x > 1")})
    assert folder.text("pick", "duckdb") == \
        "SELECT x FROM t WHERE regexp_matches(name, 'it''s (a|b)\\d') AND x > 1"
    with pytest.raises(InputError, match="expected an identifier"):
        folder.text("pick", "duckdb", {"pat": "it's"})      # a plain str is never quoted for you
    with pytest.raises(InputError, match="no query file nope.sql"):
        folder.text("nope", "duckdb")
    eng = DuckDBEngine()
    try:
        eng.materialise("t", "SELECT * FROM (VALUES (2, 'it''s a7'), (3, 'b')) v(x, name)")
        assert folder.make(eng, "pick") == "picked"
        assert eng.query("SELECT x FROM picked").column(0).to_pylist() == [2]
        assert folder.make(eng, "pick", name="other") == "other"
    finally:
        eng.close()


def test_a_scratch_area_drops_early_and_keeps_what_the_caller_takes() -> None:
    from modelcensus.store.engine import scratch

    eng = DuckDBEngine()
    try:
        with scratch(eng) as area:
            area.materialise("a", "SELECT 1 AS x")
            area.materialise("b", "SELECT 2 AS x")
            area.materialise("c", "SELECT 3 AS x")
            area.drop("a")
            area.keep("c")
            with pytest.raises(InputError):
                eng.query("SELECT * FROM a")
        assert eng.query("SELECT x FROM c").column(0).to_pylist() == [3]
        with pytest.raises(InputError):
            eng.query("SELECT * FROM b")
    finally:
        eng.close()


def test_an_engine_of_its_own_spills_into_a_private_folder_removed_on_close() -> None:
    import os

    eng = DuckDBEngine()
    spill = eng.con.execute("SELECT current_setting('temp_directory')").fetchall()[0][0]
    assert os.path.isdir(spill) and not spill.startswith(".tmp")
    eng.close()
    assert not os.path.exists(spill)


def test_a_failed_statement_in_a_transaction_is_the_error_reported() -> None:
    from modelcensus.store.engine import scratch

    eng = DuckDBEngine()
    try:
        with pytest.raises(InputError, match="no_such_table"), eng.transaction(), eng.unordered(), \
                scratch(eng) as area:
            area.materialise("made", "SELECT 1 AS x")
            area.materialise("broken", "SELECT * FROM no_such_table")
        assert eng.query("SELECT 1 AS ok").column(0).to_pylist() == [1]  # the connection is usable again
    finally:
        eng.close()


def test_an_engine_on_a_store_never_shadows_the_store_tables(tmp_path) -> None:
    from modelcensus.store import Store

    with Store(tmp_path / "census.duckdb") as store:
        eng = DuckDBEngine.from_store(store)
        for make in (lambda: eng.materialise("origins", "SELECT 1 AS x"),
                     lambda: eng.register_arrow("edges", __import__("pyarrow").table({"x": [1]}))):
            with pytest.raises(InputError, match="one of the store's tables"):
                make()
        assert store.con.execute("SELECT count(*) FROM origins").fetchall() == [(0,)]


def test_spark_paths_are_read_as_themselves_not_as_globs() -> None:
    from modelcensus.store.engine_spark import hadoop_literal

    assert hadoop_literal("/data/h[12]/a{b}*?.parquet") == r"/data/h\[12\]/a\{b\}\*\?.parquet"
    assert hadoop_literal("/data/plain/2025-01-31.parquet") == "/data/plain/2025-01-31.parquet"


def test_a_parquet_file_the_reader_refuses_is_named(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "2025-01-31.parquet"
    pq.write_table(pa.table({"id": ["a/b"], "file_row_number": [7]}), path)  # clashes with the reader's column
    eng = DuckDBEngine()
    try:
        with pytest.raises(InputError, match=r"2025-01-31\.parquet: DuckDB cannot read it"):
            eng.register_parquet("rows", [path], row_number="pos")
    finally:
        eng.close()


def test_no_comment_line_holds_a_parameter() -> None:
    """Parameters are substituted everywhere in a file's text, comments too: a fragment named in a comment line
    would be copied there (review39 F6: 400 characters a mention), and one holding a newline would end the
    comment and run. So comments name parameters without ``${}``."""
    from importlib.resources import files as package_files

    root = Path(str(package_files("modelcensus")))
    found = [f"{p.relative_to(root)}:{i}" for p in sorted(root.rglob("*.sql"))
             for i, line in enumerate(p.read_text().splitlines(), 1)
             if line.lstrip().startswith("--") and "${" in line]
    assert len(list(root.rglob("*.sql"))) > 100
    assert found == []
