"""Every query file of the lineage build (``lineage/sql/<stage>/``), with the values the build passes: it
parses as DuckDB SQL, its header names exactly the tables its query reads and one ``_lin_`` table it
produces, and it transpiles to Spark SQL that parses. (A text that parses is not yet a text Spark runs with
equal results: docs/engines.md says what was run on Spark.) The stage files' own tests check their values."""

from __future__ import annotations

from typing import Any

import pytest
import sqlglot

from modelcensus.lineage.build import build_files
from modelcensus.lineage.edge_sql import edge_files, name_columns_sql
from modelcensus.lineage.edges_declared import declared_files
from modelcensus.lineage.edges_family import family_files, name_hits_sql
from modelcensus.lineage.edges_inferred import dataset_prefilter_sql, inferred_files
from modelcensus.store.engine import to_dialect
from modelcensus.store.sql_files import Fragment, QueryFolder

# per folder: the folder and the values the build computes at run time, given here as the build would
FOLDERS: dict[str, tuple[QueryFolder, dict[str, Any]]] = {
    "edges": (edge_files(), {"name_columns": Fragment(name_columns_sql("m.id"))}),
    "declared": (declared_files(), {}),
    "inferred": (inferred_files(), {"dataset_prefilter": Fragment(dataset_prefilter_sql(["open-thoughts",
                                                                                          "O'Brien"]))}),
    "family": (family_files(), {"name_hits": Fragment(name_hits_sql([("llama", "(?i)(?:llama)|(?:l'lama)"),
                                                                     ("qwen", "(?i)(?:qw[eq]n?)")]))}),
    "lineage_build": (build_files(), {}),
}
CASES = [(folder, stem) for folder, (qf, _) in FOLDERS.items() for stem in sorted(qf.files)]


def _text(folder: str, stem: str, dialect: str) -> str:
    qf, runtime = FOLDERS[folder]
    return qf.text(stem, dialect, {"sid": 7, **runtime})


def test_every_stage_folder_is_covered() -> None:
    assert len(CASES) >= 55 and all(qf.files for qf, _ in FOLDERS.values())


@pytest.mark.parametrize(("folder", "stem"), CASES)
def test_file_parses_and_names_its_tables(folder: str, stem: str) -> None:
    f = FOLDERS[folder][0].files[stem]
    assert f.reads and f.produces.startswith("_lin_")
    tree = sqlglot.parse_one(_text(folder, stem, "duckdb"), read="duckdb")
    ctes = {c.alias for c in tree.find_all(sqlglot.exp.CTE)}
    used = {t.name for t in tree.find_all(sqlglot.exp.Table)} - ctes
    assert used == set(f.reads), f"{f.name} reads {sorted(used)}, its header says {sorted(f.reads)}"


@pytest.mark.parametrize(("folder", "stem"), CASES)
def test_file_transpiles_to_spark(folder: str, stem: str) -> None:
    spark = _text(folder, stem, "spark")
    assert "${" not in spark and "spark" not in FOLDERS[folder][0].files[stem].dialects
    assert spark == to_dialect(_text(folder, stem, "duckdb"), "spark")
    sqlglot.parse_one(spark, read="spark")
