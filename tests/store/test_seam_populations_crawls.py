"""The store's named operations for populations, crawl state and snapshot references (issue 12: only store/
touches the connection). Each keeps the transaction semantics its callers rely on: a failure leaves no half."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb
import pytest

from modelcensus.store import SnapshotMeta, Store
from modelcensus.store.crawls import (
    crawl_resume_state,
    dedupe_hub_declarations,
    end_crawl,
    save_crawl_page,
    start_crawl,
)
from modelcensus.store.populations import population_ids, population_members, replace_population
from modelcensus.store.snapshot_refs import snapshot_by_source_ref

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _meta(source: str = "hub-api", ref: str | None = "ref") -> SnapshotMeta:
    return SnapshotMeta(source=source, observed_at=NOW, source_ref=ref, complete=False)


# -- populations -----------------------------------------------------------------------------------------------
def test_replace_population_makes_the_list_exactly_the_members(store: Store) -> None:
    with store.transaction():
        replace_population(store, "atom", [("b/y", None), ("a/x", "a")], source_ref="f.csv", imported_at=NOW)
    assert population_ids(store, "atom") == ["a/x", "b/y"]
    with store.transaction():
        replace_population(store, "atom", [("c/z", "c")], source_ref="f2.csv", imported_at=NOW)
    assert population_members(store, "atom") == {"c/z"}
    assert store._one("SELECT org, source_ref FROM populations WHERE name = 'atom'") == ("c", "f2.csv")
    assert population_ids(store, "none") == [] and population_members(store, "none") == set()


def test_a_failed_replace_keeps_the_old_list_and_its_own_error(store: Store) -> None:
    with store.transaction():
        replace_population(store, "atom", [("a/x", None)], source_ref="f.csv", imported_at=NOW)
    # a repeated id breaks the key after the DELETE ran: the rollback must restore the old list, and the
    # error is the INSERT's, not "transaction aborted" from dropping the temporary view
    with pytest.raises(duckdb.ConstraintException), store.transaction():
        replace_population(store, "atom", [("b/y", None), ("b/y", None)], source_ref="g.csv", imported_at=NOW)
    assert population_ids(store, "atom") == ["a/x"]
    with store.transaction():  # the view name is free again
        replace_population(store, "atom", [("d/w", None)], source_ref="h.csv", imported_at=NOW)
    assert population_ids(store, "atom") == ["d/w"]


def test_a_hostile_population_name_is_a_value_not_sql(store: Store) -> None:
    name = "x'); DROP TABLE populations; --"
    with store.transaction():
        replace_population(store, name, [("a/x", None)], source_ref="'", imported_at=NOW)
    assert population_ids(store, name) == ["a/x"]


# -- crawl state -----------------------------------------------------------------------------------------------
def test_a_crawl_resumes_by_its_parameters_as_json_not_as_text(store: Store) -> None:
    params = {"endpoint": "https://hub", "limit": None, "expand": ["a", "b"]}
    assert crawl_resume_state(store, params) is None
    first = start_crawl(store, _meta(), params, "https://hub/api/models?p=1")
    other = start_crawl(store, _meta(), {"endpoint": "https://other"}, "https://other/api/models")
    cursor = crawl_resume_state(store, dict(reversed(list(params.items()))))
    assert cursor is not None and (cursor.snapshot_id, cursor.next_url, cursor.pages_done) == (
        first, "https://hub/api/models?p=1", 0)
    newer = start_crawl(store, _meta(), params, "https://hub/api/models?p=1")
    assert crawl_resume_state(store, params).snapshot_id == newer  # the newest unfinished one
    assert store.snapshot(other).complete is False


def test_save_crawl_page_moves_the_cursor_and_counts_the_snapshot(store: Store) -> None:
    params = {"k": 1}
    sid = start_crawl(store, _meta(), params, "u1")
    with store.transaction():
        store._exec("INSERT INTO models (snapshot_id, id, id_lower) VALUES (?, 'a/x', 'a/x'), (?, 'b/y', 'b/y')",
                    [sid, sid])
        save_crawl_page(store, sid, next_url="u2", pages_done=1, skipped_count=3, notes={"crawl": {"pages": 1}})
    cursor = crawl_resume_state(store, params)
    assert cursor is not None and (cursor.next_url, cursor.pages_done) == ("u2", 1)
    snap = store.snapshot(sid)
    assert (snap.row_count, snap.skipped_count, snap.notes) == (2, 3, {"crawl": {"pages": 1}})


def test_a_failed_page_moves_neither_cursor_nor_counts(store: Store) -> None:
    params = {"k": 2}
    sid = start_crawl(store, _meta(), params, "u1")
    with pytest.raises(RuntimeError), store.transaction():
        save_crawl_page(store, sid, next_url="u2", pages_done=1, skipped_count=3, notes={"x": 1})
        raise RuntimeError("the page's staging failed after the cursor moved")
    cursor = crawl_resume_state(store, params)
    assert cursor is not None and (cursor.next_url, cursor.pages_done) == ("u1", 0)
    assert store.snapshot(sid).skipped_count == 0


def test_dedupe_keeps_one_copy_of_each_hub_declaration_and_end_crawl_forgets_the_cursor(store: Store) -> None:
    params = {"k": 3}
    sid = start_crawl(store, _meta(), params, "u1")
    rows = [(sid, "c/1", "p/1", None, "hub")] * 2 + [(sid, "c/2", "p/1", "adapter", "hub"),
                                                     (sid, "c/1", "p/1", None, "card"),
                                                     (sid, "c/1", "p/1", None, "card")]
    for row in rows:
        store._exec("INSERT INTO declarations (snapshot_id, child_id, parent_id, relation, source) "
                    "VALUES (?, ?, ?, ?, ?)", list(row))
    with store.transaction():
        dedupe_hub_declarations(store, sid)
        end_crawl(store, sid)
    got = store._exec("SELECT child_id, source, count(*) FROM declarations GROUP BY ALL ORDER BY ALL").fetchall()
    assert got == [("c/1", "card", 2), ("c/1", "hub", 1), ("c/2", "hub", 1)]  # only Hub ones de-duplicated
    assert crawl_resume_state(store, params) is None
    assert store._one("SELECT count(*) FROM crawl_state") == (0,)


# -- snapshots by source reference -----------------------------------------------------------------------------
def test_snapshot_by_source_ref_is_the_first_of_that_source(store: Store) -> None:
    with store.transaction():
        a = store.create_snapshot(_meta("hub-stats", "repo@abc"))
        store.create_snapshot(_meta("hub-stats", "repo@abc"))
        store.create_snapshot(_meta("other", "repo@def"))
    found = snapshot_by_source_ref(store, "hub-stats", "repo@abc")
    assert found is not None and found.id == a
    assert snapshot_by_source_ref(store, "hub-stats", "repo@def") is None
    assert snapshot_by_source_ref(store, "hub-stats", "' OR 1=1 --") is None


def test_a_crawl_that_cannot_record_its_cursor_leaves_no_snapshot(store: Store) -> None:
    with pytest.raises(TypeError):  # parameters that are not JSON: the cursor row fails after the snapshot row
        start_crawl(store, _meta(), {"bad": object()}, "u1")
    assert store.snapshots() == []
    assert store._one("SELECT count(*) FROM crawl_state") == (0,)
