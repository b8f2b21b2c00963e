"""The store's single-model look-ups (store/lookups.py), issue 12: the reads lineage.origin and the audit used to
run on a store's connection themselves, with the same SQL, bound values and rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from lineage_snapshots import add_snapshot, hub

from modelcensus.lineage import ensure_lineage
from modelcensus.lineage.registry import load_registry
from modelcensus.store import Store
from modelcensus.store.lineage_tables import LOOKUP_INDEXES
from modelcensus.store.lookups import (
    AUDIT_ROW_COLS,
    descendants,
    find_model_id,
    find_referenced_parent,
    licence_inputs,
    lookup_facts,
    model_rows,
    observed_ids,
    origin_rows,
    parent_edge_rows,
    parent_edges_of,
)

HOSTILE = "x' OR '1'='1"


@pytest.fixture
def built(store: Store) -> tuple[Store, int]:
    sid = add_snapshot(store, [
        hub("Qwen/Qwen2.5-7B", downloads=1000, license="apache-2.0"),
        hub("Qwen/Qwen2.5-7B-Instruct", base="Qwen/Qwen2.5-7B", downloads=500),
        hub("user/ft", base="Qwen/Qwen2.5-7B-Instruct", downloads=10),
        hub("user/q", base="user/ft", relation="quantized"),
        hub("y/orphan", base="Deleted/Gone-Model"),
    ])
    ensure_lineage(store, sid, load_registry())
    return store, sid


def test_spellings_are_found_case_insensitively_and_values_stay_bound(built: tuple[Store, int]) -> None:
    store, sid = built
    assert find_model_id(store, sid, "qwen/QWEN2.5-7b") == "Qwen/Qwen2.5-7B"
    assert find_model_id(store, sid, "deleted/gone-model") is None  # only referenced, never observed
    assert find_referenced_parent(store, sid, "deleted/gone-model") == "Deleted/Gone-Model"
    assert find_referenced_parent(store, sid, "user/q") is None  # nobody's parent
    assert observed_ids(store, sid, ["Qwen/Qwen2.5-7B", "qwen/qwen2.5-7b", "Deleted/Gone-Model"]) == {"Qwen/Qwen2.5-7B"}
    for look in (find_model_id, find_referenced_parent):
        assert look(store, sid, HOSTILE) is None
    assert observed_ids(store, sid, [HOSTILE]) == set()
    assert find_model_id(store, sid + 1, "Qwen/Qwen2.5-7B") is None  # another snapshot holds nothing


def test_both_look_up_forms_give_the_same_rows(built: tuple[Store, int]) -> None:
    store, sid = built
    for model in ("user/q", "user/ft", "Qwen/Qwen2.5-7B", "y/orphan", HOSTILE):
        alone, one_where = (origin_rows(store, sid, model, by_id_alone=f) for f in (True, False))
        assert alone == one_where
        assert (sorted(parent_edge_rows(store, sid, model, by_id_alone=True))
                == sorted(parent_edge_rows(store, sid, model, by_id_alone=False)))
    assert origin_rows(store, sid, "user/q", by_id_alone=False)[0][0] == "Qwen/Qwen2.5-7B"  # its root
    assert parent_edge_rows(store, sid, "user/q", by_id_alone=True)[0][:3] == ("user/q", "user/ft", "quantized")
    assert origin_rows(store, sid, HOSTILE, by_id_alone=True) == []


def test_lookup_facts_see_the_indexes_and_the_built_snapshots(built: tuple[Store, int]) -> None:
    store, _sid = built
    assert lookup_facts(store) == (True, 1)
    store.con.execute(f"DROP INDEX {next(iter(LOOKUP_INDEXES))}")
    assert lookup_facts(store) == (False, 1)


def test_descendants_are_counted_and_the_depth_cap_is_said(built: tuple[Store, int]) -> None:
    store, sid = built
    full = descendants(store, sid, "Qwen/Qwen2.5-7B", 200, 50)
    assert (full["total"], full["by_depth"], full["depth_capped"]) == (3, {"1": 1, "2": 1, "3": 1}, False)
    assert [d["id"] for d in full["shown"]] == ["Qwen/Qwen2.5-7B-Instruct", "user/ft", "user/q"]
    capped = descendants(store, sid, "Qwen/Qwen2.5-7B", 1, 2)
    assert (capped["total"], capped["truncated"], capped["depth_capped"]) == (2, True, True)
    assert descendants(store, sid, HOSTILE, 10, 50)["total"] == 0
    assert store.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = '_desc'").fetchall() == [(0,)]


def test_the_audit_reads_many_models_in_one_scan(built: tuple[Store, int]) -> None:
    store, sid = built
    rows = model_rows(store, sid, ["qwen/qwen2.5-7b", "USER/FT", "no/such", HOSTILE])
    assert sorted(r["id"] for r in rows) == ["Qwen/Qwen2.5-7B", "user/ft"]
    assert all(tuple(r) == AUDIT_ROW_COLS for r in rows)
    licences = {r[0]: r[1] for r in licence_inputs(store, sid, ["Qwen/Qwen2.5-7B", "user/q"])}
    assert set(licences) == {"qwen/qwen2.5-7b", "user/q"} and licences["qwen/qwen2.5-7b"] == "apache-2.0"
    edges = parent_edges_of(store, sid, ["USER/Q", "user/ft"])
    assert sorted(e[:3] for e in edges) == [("user/ft", "qwen/qwen2.5-7b-instruct", "finetune"),
                                             ("user/q", "user/ft", "quantized")]


def test_descendants_pick_the_same_edge_whatever_the_stored_row_order(tmp_path: Path) -> None:
    """A descendant with two edges to one parent is counted once, under the same edge in every store: the one the
    root walk follows (structural), then the declared one. A lineage build writes its rows in no fixed order
    (review26 P2: one file imported into six stores gave three different by_relation counts; review27 R27-3:
    at depth 1 both edges were counted)."""
    deep = [("org/b", "org/a", "distillation", False, "declared", "card base_model", True),
            ("org/b", "org/a", "merge", True, "name", "name ~ merge", True)]
    near = [("org/c", "org/r", "finetune", False, "declared", "card base_model; contradicted", False),
            ("org/c", "org/r", "distillation", True, "config", "teacher signature", True),
            # neither followed: the declaration was contradicted, the build's own reading is counted
            ("org/d", "org/r", "merge", False, "declared", "card base_model; contradicted by the config", False),
            ("org/d", "org/r", "distillation", True, "name", "likely the teacher", False)]
    base = [("org/a", "org/r", "finetune", False, "declared", "card base_model", True)]
    answers = []
    for order, rows in (("as listed", base + deep + near), ("reversed", base + deep[::-1] + near[::-1])):
        with Store(tmp_path / f"{order}.duckdb") as store:
            for row in rows:
                store.con.execute("INSERT INTO edges (snapshot_id, child_id, parent_id, relation, inferred, grade, "
                                  "evidence, structural) VALUES (1, ?, ?, ?, ?, ?, ?, ?)", list(row))
            got = descendants(store, 1, "org/r", shown=10, max_depth=5)
        answers.append((got["total"], got["by_relation"],
                        sorted((d["id"], d["relation"], d["inferred"]) for d in got["shown"])))
    assert answers[0] == answers[1]
    total, by_relation, shown = answers[0]
    assert total == sum(by_relation.values()) == 4  # each descendant counted once
    assert shown == [("org/a", "finetune", False), ("org/b", "distillation", False),  # declared over inferred
                     ("org/c", "distillation", True),  # the structural edge over a contradicted declaration
                     ("org/d", "distillation", True)]  # neither followed: the build's reading
