"""The query files of the inferred edge rules (``lineage/sql/inferred``): the values the build passes reach them
(parsing, headers and Spark transpiling of every lineage query file: test_query_files.py)."""

from __future__ import annotations

import pytest

from modelcensus.errors import InputError
from modelcensus.lineage.edge_sql import any_tag_sql
from modelcensus.lineage.edges_inferred import DISTILL_TEXT, dataset_prefilter_sql, inferred_files
from modelcensus.store.sql_files import Fragment

FOLDER = inferred_files()
# values the build computes at run time (from the registry tables), given here as the build would
RUNTIME = {"dataset_prefilter": Fragment(dataset_prefilter_sql(["open-thoughts", "O'Brien"]))}


def _text(stem: str, dialect: str) -> str:
    return FOLDER.text(stem, dialect, {"sid": 7, **RUNTIME})


def test_the_folder_holds_the_rules_files() -> None:
    assert set(FOLDER.files) == {"text_raw", "teacher_raw", "text", "fmt", "conv", "mirror", "ref", "rnodes",
                                 "interm_raw", "interm"}


def test_code_values_reach_the_files_unchanged() -> None:
    duck = _text("text_raw", "duckdb")
    assert "'" + DISTILL_TEXT + "'" in duck and "snapshot_id = 7" in duck and "left(card_text, 20000)" in duck


def test_dataset_prefilter_tests_each_namespace_in_two_spellings() -> None:
    assert dataset_prefilter_sql([]) == "FALSE"
    assert dataset_prefilter_sql(["AB", "ab"]) == ("(contains(CAST(card_data AS VARCHAR), 'AB/') OR "
                                                   "contains(CAST(card_data AS VARCHAR), 'ab/'))")
    assert "'o''brien/'" in dataset_prefilter_sql(["O'Brien"])


def test_a_tag_test_takes_only_the_codes_lower_case_tags() -> None:
    """One list_contains per tag, coalesced (both engines' answers: tests/store/test_dialect.py); an empty
    tuple would be invalid SQL and a bare string would be tested letter by letter, so both are refused, and so
    is a tag any dialect would have to escape."""
    assert any_tag_sql("t", ("gguf", "4-bit")) == \
        "coalesce(list_contains(t, 'gguf') OR list_contains(t, '4-bit'), FALSE)"
    for bad in ((), "gguf", ("it's",), ("GGUF",), ("a\\b",), ("",)):
        with pytest.raises(InputError, match="any_tag_sql"):
            any_tag_sql("t", bad)  # type: ignore[arg-type]
