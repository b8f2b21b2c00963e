"""The lineage build's own steps (``lineage/sql/lineage_build``) and the store's side (``store/lineage_tables``).

The values the build passes reach its query files (parsing, headers and Spark transpiling of every lineage
query file: test_query_files.py). The swap into the store is one transaction: a failure while
writing leaves the previous build in place, and nothing the build made on the connection outlives it."""

from __future__ import annotations

import dataclasses

import pytest

from modelcensus.errors import InputError
from modelcensus.lineage import build as build_mod
from modelcensus.lineage import ensure_lineage
from modelcensus.lineage.build import build_files
from modelcensus.lineage.grades import GRADES, grade_name_sql, grade_rank_sql
from modelcensus.sources.synthetic import generate_hub, load_series
from modelcensus.store.lineage_tables import lineage_build_row, replace_lineage

FOLDER = build_files()


def _text(stem: str, dialect: str) -> str:
    return FOLDER.text(stem, dialect, {"sid": 7})


def test_the_folder_holds_the_build_steps() -> None:
    assert set(FOLDER.files) == {"edges_spelled", "key", "key_edges", "edges_out", "own_teacher", "teacher_edges",
                                 "teacher", "teacher_own", "roots_named", "cycle_nodes", "namespaces", "who",
                                 "root_family", "origins_out", "stats"}


def test_code_values_reach_the_files_unchanged() -> None:
    assert grade_rank_sql("e.grade") in _text("key_edges", "duckdb")
    assert grade_name_sql("r.g") in _text("origins_out", "duckdb")
    assert f"THEN {len(GRADES) - 1} ELSE 0 END" in _text("roots_named", "duckdb")
    assert "snapshot_id = 7" in _text("stats", "duckdb")


def _state(store, sid: int) -> tuple:
    return tuple(store.con.execute(f"SELECT * FROM {t} WHERE snapshot_id = ? ORDER BY ALL", [sid]).fetchall()
                 for t in ("edges", "origins", "lineage_builds"))


def _temp_tables(store) -> list[str]:
    return [r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary AND "
                                            "(starts_with(table_name, '_lin_') OR starts_with(table_name, '_rt_'))"
                                            ).fetchall()]


def test_a_failure_while_writing_keeps_the_previous_build(store, registry, monkeypatch) -> None:
    sid = load_series(store, generate_hub(n_models=300, seed=5, months=1))[-1].id
    assert lineage_build_row(store, sid) is None
    first = ensure_lineage(store, sid, registry)
    before = _state(store, sid)
    assert first["built"] and before[0] and before[1] and len(before[2]) == 1
    assert lineage_build_row(store, sid).stats["models"] == first["models"] > 200
    assert _temp_tables(store) == []  # nothing the build made outlives it

    def half(store_, sid_, edges, origins, version, stats):  # edges are rewritten, then origins fail
        replace_lineage(store_, sid_, edges, "_lin_no_such_table", version, stats)

    monkeypatch.setattr(build_mod, "replace_lineage", half)
    with pytest.raises(Exception, match="_lin_no_such_table"):
        ensure_lineage(store, sid, registry, force=True)
    monkeypatch.undo()
    assert _state(store, sid) == before
    assert _temp_tables(store) == []
    again = ensure_lineage(store, sid, registry, force=True)
    after = _state(store, sid)
    assert again["built"] and after[:2] == before[:2]


def test_rows_are_written_sorted_for_look_ups(store, registry) -> None:
    sid = load_series(store, generate_hub(n_models=300, seed=6, months=1))[-1].id
    ensure_lineage(store, sid, registry)
    edges = store.con.execute("SELECT child_id, parent_id FROM edges WHERE snapshot_id = ?", [sid]).fetchall()
    origins = store.con.execute("SELECT model_id FROM origins WHERE snapshot_id = ?", [sid]).fetchall()
    assert edges == sorted(edges) and origins == sorted(origins)


def test_a_failing_step_names_its_error_and_keeps_the_previous_build(store, registry, monkeypatch) -> None:
    """A query that fails aborts DuckDB's transaction: the error must be the query's (not a failed clean-up
    DROP on the aborted transaction), and the rollback leaves the previous build and no scratch table."""
    sid = load_series(store, generate_hub(n_models=200, seed=7, months=1))[-1].id
    ensure_lineage(store, sid, registry)
    before = _state(store, sid)
    broken = dataclasses.replace(FOLDER.files["who"], query="SELECT * FROM _lin_no_such_input")
    monkeypatch.setitem(FOLDER.files, "who", broken)
    with pytest.raises(InputError, match="_lin_no_such_input"):
        ensure_lineage(store, sid, registry, force=True)
    monkeypatch.undo()
    assert _state(store, sid) == before and _temp_tables(store) == []
