"""The query files of the inferred edge rules (``lineage/sql/inferred``): each parses, its header names exactly
the tables its query reads, and it transpiles to Spark SQL that parses, with the values the build passes."""

from __future__ import annotations

import pytest
import sqlglot

from modelcensus.lineage.edges_inferred import DISTILL_TEXT, dataset_prefilter_sql, inferred_files
from modelcensus.store.engine import to_dialect
from modelcensus.store.sql_files import Fragment

FOLDER = inferred_files()
# values the build computes at run time (from the registry tables), given here as the build would
RUNTIME = {"dataset_prefilter": Fragment(dataset_prefilter_sql(["open-thoughts", "O'Brien"]))}


def _text(stem: str, dialect: str) -> str:
    return FOLDER.text(stem, dialect, {"sid": 7, **RUNTIME})


def test_the_folder_holds_the_rules_files() -> None:
    assert set(FOLDER.files) == {"text_raw", "teacher_raw", "text", "fmt", "conv", "mirror", "ref", "rnodes",
                                 "interm_raw", "interm"}


@pytest.mark.parametrize("stem", sorted(FOLDER.files))
def test_file_parses_and_names_its_tables(stem: str) -> None:
    f = FOLDER.files[stem]
    assert f.reads and f.produces.startswith("_lin_")
    tree = sqlglot.parse_one(_text(stem, "duckdb"), read="duckdb")
    ctes = {c.alias for c in tree.find_all(sqlglot.exp.CTE)}
    used = {t.name for t in tree.find_all(sqlglot.exp.Table)} - ctes
    assert used == set(f.reads), f"{f.name} reads {sorted(used)}, its header says {sorted(f.reads)}"


@pytest.mark.parametrize("stem", sorted(FOLDER.files))
def test_file_transpiles_to_spark(stem: str) -> None:
    spark = _text(stem, "spark")
    assert "${" not in spark and "spark" not in FOLDER.files[stem].dialects
    assert spark == to_dialect(_text(stem, "duckdb"), "spark")
    sqlglot.parse_one(spark, read="spark")


def test_code_values_reach_the_files_unchanged() -> None:
    duck = _text("text_raw", "duckdb")
    assert "'" + DISTILL_TEXT + "'" in duck and "snapshot_id = 7" in duck and "left(card_text, 20000)" in duck


def test_dataset_prefilter_tests_each_namespace_in_two_spellings() -> None:
    assert dataset_prefilter_sql([]) == "FALSE"
    assert dataset_prefilter_sql(["AB", "ab"]) == ("(contains(CAST(card_data AS VARCHAR), 'AB/') OR "
                                                   "contains(CAST(card_data AS VARCHAR), 'ab/'))")
    assert "'o''brien/'" in dataset_prefilter_sql(["O'Brien"])
