"""A lineage build that fails half-way leaves the previous build exactly as it was.

A failure while origins are computed (the new edges already made) or while the store swaps the new tables in
(tests/lineage/test_build_files.py) must roll back to the old edges, origins and ``lineage_builds`` row, and
leave the store usable.
"""

from __future__ import annotations

import pytest

from modelcensus.lineage import build as build_mod
from modelcensus.lineage import ensure_lineage, origin
from modelcensus.sources.synthetic import generate_hub, load_series


def _state(store, sid: int) -> tuple:
    edges = store._exec("SELECT * FROM edges WHERE snapshot_id = ? ORDER BY ALL", [sid]).fetchall()
    origins = store._exec("SELECT * FROM origins WHERE snapshot_id = ? ORDER BY ALL", [sid]).fetchall()
    builds = store._exec("SELECT * FROM lineage_builds WHERE snapshot_id = ?", [sid]).fetchall()
    return edges, origins, builds


def test_failure_mid_build_keeps_previous_edges_and_origins(store, registry, monkeypatch) -> None:
    snaps = load_series(store, generate_hub(n_models=400, seed=11, months=2))
    sid = snaps[-1].id
    first = ensure_lineage(store, sid, registry)
    before = _state(store, sid)
    assert first["built"] and len(before[0]) > 50 and len(before[1]) >= 300 and len(before[2]) == 1
    model = before[1][0][1]
    doc_before = origin(store, model, snapshot=sid, registry=registry)

    def boom(engine):  # the new edges are made when origins are computed
        assert engine.query("SELECT count(*) FROM _lin_edges_out").column(0)[0].as_py() > 0
        raise RuntimeError("disk full while writing origins")

    monkeypatch.setattr(build_mod, "_origins", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        ensure_lineage(store, sid, registry, force=True)
    assert _state(store, sid) == before
    monkeypatch.undo()
    # the store is still usable: the same answers, and a forced rebuild gives the same rows
    assert origin(store, model, snapshot=sid, registry=registry) == doc_before
    again = ensure_lineage(store, sid, registry, force=True)
    assert again["built"]
    after = _state(store, sid)
    assert after[0] == before[0] and after[1] == before[1]


def _indexes(store) -> set[str]:
    return {r[0] for r in store._exec("SELECT index_name FROM duckdb_indexes()").fetchall()}


def test_a_rebuild_drops_the_lookup_indexes_first_and_always_ends_with_them(store, registry, monkeypatch) -> None:
    """Deleting a snapshot's old rows under ART indexes made the rebuild's COMMIT take 64 s at 1M models: the
    indexes go before the build's transaction and come back in it, or after it when the build fails."""
    from modelcensus.store import lineage_tables

    snaps = load_series(store, generate_hub(n_models=300, seed=5, months=2))
    first, second = snaps[0].id, snaps[-1].id
    ensure_lineage(store, first, registry)
    assert _indexes(store) >= set(lineage_tables.LOOKUP_INDEXES)
    seen: list[set[str]] = []
    real = build_mod.build_tables

    def watch(engine, sid, reg):
        seen.append(_indexes(store))
        return real(engine, sid, reg)

    monkeypatch.setattr(build_mod, "build_tables", watch)
    ensure_lineage(store, second, registry)  # a first build of its snapshot deletes nothing: indexes kept
    ensure_lineage(store, second, registry, force=True)
    assert seen[0] >= set(lineage_tables.LOOKUP_INDEXES)
    assert not seen[1] & set(lineage_tables.LOOKUP_INDEXES)
    assert _indexes(store) >= set(lineage_tables.LOOKUP_INDEXES)
    monkeypatch.setattr(build_mod, "_origins", lambda engine: (_ for _ in ()).throw(RuntimeError("disk full")))
    before = _state(store, second)
    with pytest.raises(RuntimeError, match="disk full"):
        ensure_lineage(store, second, registry, force=True)
    assert _state(store, second) == before
    assert _indexes(store) >= set(lineage_tables.LOOKUP_INDEXES)
    # a rebuild killed after the drop (no except clause ran): the next ensure_lineage, with nothing to build,
    # makes them again
    monkeypatch.undo()
    for name in lineage_tables.LOOKUP_INDEXES:
        store._exec(f"DROP INDEX {name}")
    assert not ensure_lineage(store, second, registry)["built"]
    assert _indexes(store) >= set(lineage_tables.LOOKUP_INDEXES)


def test_a_store_past_the_index_budget_builds_without_the_lookup_indexes(store, registry, monkeypatch) -> None:
    """The look-up indexes cover every snapshot's rows, and a build's INSERT brings them into memory: at 103.6M edge
    and origin rows the 23rd build of a history ran out of memory in its COMMIT under 3 GiB (FATAL). So a store
    keeps them only while they fit their share of memory_limit; past it a build drops them before its swap (seen
    committed from another connection), none comes back, the look-up form is chosen again, and look-ups answer the
    same without them."""
    import importlib

    from modelcensus.store import lineage_tables

    origin_mod = importlib.import_module("modelcensus.lineage.origin")
    snaps = load_series(store, generate_hub(n_models=300, seed=5, months=3))
    for snap in snaps[:2]:
        ensure_lineage(store, snap.id, registry)
    assert _indexes(store) >= set(lineage_tables.LOOKUP_INDEXES) and lineage_tables.lookup_indexes_fit(store)
    first = snaps[0].id
    model = store._exec("SELECT model_id FROM origins WHERE snapshot_id = ? AND depth > 0 ORDER BY 1 LIMIT 1",
                        [first]).fetchone()[0]
    doc = origin(store, model, snapshot=first, registry=registry)
    assert origin_mod._by_id_alone(store)  # two built snapshots and both indexes: the id alone
    # a budget the two built snapshots' rows fit and the third's do not
    rows = store._exec("SELECT (SELECT count(*) FROM edges) + (SELECT count(*) FROM origins)").fetchone()[0]
    limit = lineage_tables.memory_limit_bytes(store)
    assert limit is not None
    monkeypatch.setattr(lineage_tables, "INDEX_BYTES_PER_ROW", limit * lineage_tables.INDEX_MEMORY_SHARE / (rows + 1))
    seen: list[set[str]] = []
    real = lineage_tables.replace_lineage

    def watch(st, *a, **k):  # inside the swap's transaction: another connection sees only what is committed
        other = st.con.cursor()
        seen.append({r[0] for r in other.execute("SELECT index_name FROM duckdb_indexes()").fetchall()})
        other.close()
        return real(st, *a, **k)

    monkeypatch.setattr(build_mod, "replace_lineage", watch)
    assert ensure_lineage(store, snaps[2].id, registry)["built"]
    assert seen == [set()] and not _indexes(store) & set(lineage_tables.LOOKUP_INDEXES)
    assert not lineage_tables.lookup_indexes_fit(store)
    assert not origin_mod._by_id_alone(store)  # chosen again after the build, without the indexes
    # found current, a build does not make them again; the answers are the same without them
    assert not ensure_lineage(store, first, registry)["built"]
    assert not _indexes(store) & set(lineage_tables.LOOKUP_INDEXES)
    assert origin(store, model, snapshot=first, registry=registry) == doc
    # the budget back (as with a larger memory_limit): the next call that finds the build current restores them
    monkeypatch.undo()
    assert not ensure_lineage(store, first, registry)["built"]
    assert _indexes(store) >= set(lineage_tables.LOOKUP_INDEXES)
    # and a look-up under a smaller budget than the build's leaves them (only a build's INSERT needs them gone;
    # dropping them there made every look-up alternate between a drop and a 2.8 s re-creation, review37 F3)
    monkeypatch.setattr(lineage_tables, "INDEX_BYTES_PER_ROW", 10**12)
    assert not ensure_lineage(store, first, registry)["built"]
    assert _indexes(store) >= set(lineage_tables.LOOKUP_INDEXES)


def test_memory_limit_bytes_reads_duckdbs_setting(tmp_path) -> None:
    from modelcensus.store import Store
    from modelcensus.store.lineage_tables import memory_limit_bytes

    for given, expected in (("512MB", 512 * 10**6), ("1GiB", 2**30), ("2GB", 2 * 10**9)):
        got = memory_limit_bytes(Store(str(tmp_path / f"{given}.duckdb"), memory_limit=given))
        assert got is not None and abs(got - expected) <= expected * 0.05  # DuckDB reports it to 0.1 (1.8 GiB for 2GB)


def test_the_build_runs_outside_the_swaps_transaction_and_leaves_no_table(store, registry, monkeypatch) -> None:
    """DuckDB frees a dropped TEMP table's memory only when the transaction that dropped it ends: inside the swap's
    transaction every intermediate of a 2.2M-model build stayed (1.7 GiB spilled by the edge step). So the tables
    are built with no transaction open, only the swap is one, and a failed build still leaves no table behind."""
    import duckdb

    snaps = load_series(store, generate_hub(n_models=300, seed=3, months=1))
    sid = snaps[-1].id
    open_transaction: list[bool] = []
    real = build_mod._teachers

    def watch(engine):  # mid-build: BEGIN works only when no transaction is open
        try:
            store.con.execute("BEGIN TRANSACTION")
        except duckdb.TransactionException:
            open_transaction.append(True)
        else:
            store.con.execute("ROLLBACK")
            open_transaction.append(False)
        return real(engine)

    monkeypatch.setattr(build_mod, "_teachers", watch)
    assert ensure_lineage(store, sid, registry)["built"]
    assert open_transaction == [False]
    before = _state(store, sid)
    monkeypatch.setattr(build_mod, "_origins", lambda engine: (_ for _ in ()).throw(RuntimeError("disk full")))
    with pytest.raises(RuntimeError, match="disk full"):
        ensure_lineage(store, sid, registry, force=True)
    assert _state(store, sid) == before
    left = store.con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary AND (starts_with(table_name, "
                             "'_lin_') OR starts_with(table_name, '_rt_'))").fetchall()
    assert left == []


def test_after_the_edge_rules_the_models_table_holds_only_ids(store, registry, monkeypatch) -> None:
    """What the build reads of ``_lin_m`` after the edge rules is the id; the rules' columns (tags, files, tokens)
    held 0.85 GiB of DuckDB's 3 GiB at 2.2M models through the edge, roots and origins steps. The roots walk
    sees the slim table, and the build's rows are those of a build that kept every column (the rules ran)."""
    snaps = load_series(store, generate_hub(n_models=300, seed=9, months=1))
    seen: list[list[str]] = []
    real = build_mod.resolve_roots

    def watch(engine, *args, **kwargs):
        seen.append(engine.query("SELECT * FROM _lin_m LIMIT 0").column_names)
        return real(engine, *args, **kwargs)

    monkeypatch.setattr(build_mod, "resolve_roots", watch)
    stats = ensure_lineage(store, snaps[-1].id, registry)
    assert seen and seen[0] == ["id"]
    assert stats["models"] == snaps[-1].row_count and sum(stats["edges"].values()) > 50


def test_a_build_inside_a_callers_transaction_fails_before_any_work(store, registry, monkeypatch) -> None:
    """Review19 R19-1: in a caller's open transaction the build would hold every intermediate again and fail only
    at the swap; it fails at once, as it did when the whole build was one transaction."""
    import duckdb

    snaps = load_series(store, generate_hub(n_models=200, seed=4, months=1))
    calls: list[int] = []
    monkeypatch.setattr(build_mod, "build_tables", lambda *a, **k: calls.append(1))
    store.con.execute("BEGIN TRANSACTION")
    with pytest.raises(duckdb.TransactionException, match="within a transaction"):
        ensure_lineage(store, snaps[-1].id, registry)
    store.con.execute("ROLLBACK")
    assert calls == []


def test_a_clean_up_interrupted_after_the_commit_is_finished_by_the_next_call(store, registry, monkeypatch) -> None:
    """Review19 R19-2: the build is committed before its tables are dropped; if that drop is interrupted, the next
    ensure_lineage (which finds the build current) drops what was left."""
    from modelcensus.store import lineage_tables

    snaps = load_series(store, generate_hub(n_models=200, seed=6, months=1))
    sid = snaps[-1].id
    real = lineage_tables.drop_temp_tables
    monkeypatch.setattr(build_mod, "drop_temp_tables", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        ensure_lineage(store, sid, registry)
    monkeypatch.setattr(build_mod, "drop_temp_tables", real)
    assert len(_state(store, sid)[2]) == 1  # committed
    left = "SELECT count(*) FROM duckdb_tables() WHERE temporary AND starts_with(table_name, '_lin_')"
    assert store.con.execute(left).fetchall()[0][0] > 0
    assert not ensure_lineage(store, sid, registry)["built"]
    assert store.con.execute(left).fetchall()[0][0] == 0
