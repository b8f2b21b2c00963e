"""The query files of the family rules (``lineage/sql/family``): the values the build passes reach them
(parsing, headers and Spark transpiling: test_query_files.py)."""

from __future__ import annotations

import duckdb

from modelcensus.lineage.edges_family import _NO_NAME_HITS, family_files, family_patterns, name_hits_sql
from modelcensus.lineage.names import GEN_MENTION, KEY_SIZE
from modelcensus.store.sql_files import Fragment

FOLDER = family_files()
# the value the build computes at run time (from _lin_fam_regex), given here as the build would
RUNTIME = {"name_hits": Fragment(name_hits_sql([("llama", "(?i)(?:llama)|(?:l'lama)"), ("qwen", "(?i)(?:qw[eq]n?)")]))}


def _text(stem: str, dialect: str) -> str:
    return FOLDER.text(stem, dialect, RUNTIME)


def test_the_folder_holds_the_rules_files() -> None:
    assert set(FOLDER.files) == {"cand", "shapes", "sig", "regex", "undecided", "close", "named", "score", "fam",
                                 "ckpt", "ck", "placed", "series", "edges", "problems"}


def test_code_values_reach_the_files_unchanged() -> None:
    ck = _text("ck", "duckdb")
    assert "'" + KEY_SIZE + "'" in ck and "'" + GEN_MENTION + "'" in ck and "<= 0.2 * w.params" in ck
    assert "CAST(round(0.2 * 100) AS INTEGER)" in _text("series", "duckdb")


def test_name_hits_quote_patterns_and_run_without_any() -> None:
    sql = name_hits_sql([("o'k", "(?i)(?:a'b)")])
    assert "'o''k' AS family" in sql and "'(?i)(?:a''b)'" in sql
    assert name_hits_sql([]) == _NO_NAME_HITS
    con = duckdb.connect()
    con.execute("CREATE TEMP TABLE _lin_undecided AS SELECT 'x/a''b-7b' AS id, 'a''b-7b' AS name_lower")
    con.execute("CREATE TEMP TABLE _lin_close (id VARCHAR, family VARCHAR, name_lower VARCHAR)")
    assert con.execute(sql).fetchall() == [("x/a'b-7b", "o'k")]
    assert con.execute(_NO_NAME_HITS).fetchall() == []


def test_pattern_tables_keep_their_types(registry) -> None:
    con = duckdb.connect()
    family_patterns(con, registry)
    types = dict(con.execute("SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() "
                             "WHERE table_name IN ('_lin_fam_names', '_lin_fam_primary')").fetchall())
    assert types == {"_lin_fam_names.family": "VARCHAR", "_lin_fam_names.pattern": "VARCHAR",
                     "_lin_fam_primary.family": "VARCHAR", "_lin_fam_primary.model_id": "VARCHAR",
                     "_lin_fam_primary.rank": "INTEGER"}
    n = con.execute("SELECT count(*) FROM _lin_fam_primary").fetchone()[0]
    assert n == sum(len(f.root_models) for f in registry.families)
