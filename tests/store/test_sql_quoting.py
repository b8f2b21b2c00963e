"""File names and values reach DuckDB through quoting helpers, never raw.

DuckDB's file readers expand ``*``, ``?`` and ``[...]``: a file named ``hub[1].parquet`` next to
``hub1.parquet`` used to import the neighbour. Quotes in paths must not break or extend the SQL.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from modelcensus.sources.ingest import import_path
from modelcensus.sources.synthetic import write_hubstats_parquet
from modelcensus.store import Store
from modelcensus.store.export import export_snapshot
from modelcensus.store.sql import glob_escape, sql_identifier, sql_literal, sql_path


def test_helpers_round_trip_hostile_text() -> None:
    con = duckdb.connect()
    for text in ["plain", "it's", "x'; DROP TABLE t; --", "'", "''", 'a"b', "\\'"]:
        assert con.execute(f"SELECT {sql_literal(text)}").fetchall() == [(text,)]
        assert con.execute(f"SELECT 1 AS {sql_identifier(text)}").description[0][0] == text


@pytest.mark.parametrize("name", ["hub[1].parquet", "hub?.parquet", "hub*.parquet", "it's[1]*.parquet"])
def test_hubstats_import_reads_exactly_the_named_file(store, tmp_path: Path, name: str) -> None:
    """The glob-looking name must not pull in hub1.parquet / hubX.parquet beside it."""
    write_hubstats_parquet(tmp_path / "hub1.parquet", n_models=150, seed=2, observed_at="2025-01-01")
    write_hubstats_parquet(tmp_path / "hubX.parquet", n_models=170, seed=3, observed_at="2025-01-01")
    target = write_hubstats_parquet(tmp_path / name, n_models=110, seed=1, observed_at="2025-02-01")
    import_path(store, target)
    assert store._one("SELECT count(*) FROM models")[0] == 110


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_export_round_trips_through_quoted_glob_names(store, tmp_path: Path, fmt: str) -> None:
    write_hubstats_parquet(tmp_path / "src.parquet", n_models=120, seed=4, observed_at="2025-01-01")
    (res,) = import_path(store, tmp_path / "src.parquet")
    decoy = export_snapshot(store, res.snapshot.id, fmt, tmp_path / f"o'1.{fmt}")
    out = export_snapshot(store, res.snapshot.id, fmt, tmp_path / f"o'[1]*.{fmt}")
    assert out.name == f"o'[1]*.{fmt}" and decoy.exists()
    other = Store(tmp_path / "other.duckdb")
    try:
        import_path(other, out)
        assert other._one("SELECT count(*) FROM models")[0] == 120
    finally:
        other.close()


def test_glob_escape_makes_each_glob_char_literal() -> None:
    assert glob_escape("a[1]*?.csv") == "a[[]1][*][?].csv"
    assert sql_path("it's[x].csv") == "'it''s[[]x].csv'"
