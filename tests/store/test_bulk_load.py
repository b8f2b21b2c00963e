"""models has no primary key since migration 004: uniqueness of (snapshot_id, id) holds by construction.

Also: an old (version 3) store keeps its rows through the migration, and the memory settings.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import duckdb
import pyarrow as pa
import pytest

from modelcensus.errors import InputError
from modelcensus.store import SkipReport, SnapshotMeta, Store, staging


def _batch(ids: list[str], start: int = 0) -> pa.Table:
    cols = {c: [None] * len(ids) for c in staging.STAGING_COLUMNS}
    cols["id"] = ids
    cols["downloads"] = [str(10 * i) for i in range(len(ids))]
    cols["_pos"] = list(range(start, start + len(ids)))
    return pa.Table.from_pydict(cols, schema=staging.STAGING_SCHEMA)


def _duplicates(store: Store) -> int:
    return store._one("SELECT count(*) FROM (SELECT snapshot_id, id FROM models "
                      "GROUP BY ALL HAVING count(*) > 1)")[0]


def test_models_has_no_primary_key_after_migration(store):
    kinds = {r[0] for r in store._exec("SELECT constraint_type FROM duckdb_constraints() "
                                      "WHERE table_name = 'models'").fetchall()}
    assert "PRIMARY KEY" not in kinds and "NOT NULL" in kinds


def test_duplicated_and_resumed_staging_never_duplicates_a_model(store):
    skipped = SkipReport()
    meta = SnapshotMeta(source="hub-api", observed_at=datetime(2025, 1, 1, tzinfo=UTC))
    with store.transaction():
        sid = store.create_snapshot(meta, complete=False)
        # duplicates inside one batch: the first occurrence wins
        assert store.stage_arrow(sid, _batch(["a/x", "a/y", "a/x", "a/x"]), skipped) == 2
        # a resumed crawl re-sends a page that was already committed, plus new ids
        assert store.stage_arrow(sid, _batch(["a/y", "a/x", "a/z"], start=4), skipped) == 1
        assert store.stage_arrow(sid, _batch(["a/x", "a/y", "a/z"], start=7), skipped) == 0
        store.finish_snapshot(sid, skipped)
    assert _duplicates(store) == 0
    rows = store._exec("SELECT id, downloads_30d FROM models WHERE snapshot_id = ? ORDER BY id", [sid]).fetchall()
    assert rows == [("a/x", 0), ("a/y", 10), ("a/z", 20)]  # first occurrence's values kept
    assert store.snapshot(sid).row_count == 3 and skipped.count == 0


def test_validated_staging_keeps_the_first_occurrence_and_skips_known_ids(store):
    skipped = SkipReport()
    meta = SnapshotMeta(source="hub-stats", observed_at=datetime(2025, 1, 1, tzinfo=UTC))
    store.con.register("_raw", _batch(["b/1", "b/2", "b/1", "", "b/3", "b/2"]))
    with store.transaction():
        sid = store.create_snapshot(meta, complete=False)
        for sql in staging.validate_statements("_raw", "_v"):
            store._exec(sql)
        assert store.stage(sid, "_v", skipped, validated=True) == 3
        assert store.stage(sid, "_v", SkipReport(), validated=True) == 0  # the same rows again: nothing new
        store.finish_snapshot(sid, skipped)
    assert _duplicates(store) == 0
    assert store._one("SELECT downloads_30d FROM models WHERE id = 'b/2'")[0] == 10
    assert skipped.count == 1 and skipped.reasons == {"missing id": 1}


def test_a_version_3_store_keeps_its_rows_through_the_migration(tmp_path):
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    migrations = sorted((p for p in resources.files("modelcensus.store").joinpath("migrations").iterdir()
                         if p.name.endswith(".sql")), key=lambda p: p.name)
    for f in migrations:
        version = int(f.name.split("_", 1)[0])
        if version <= 3:
            con.execute(f.read_text())
            con.execute("INSERT INTO schema_version VALUES (?)", [version])
    con.execute("INSERT INTO snapshots (source, observed_at, imported_at, row_count, complete) "
                "VALUES ('flat-file', TIMESTAMPTZ '2024-05-01 00:00:00+00', now(), 2, true)")
    con.execute("""INSERT INTO models (snapshot_id, id, id_lower, author, downloads_30d, tags, card_data, base_models)
                   VALUES (1, 'Org/A', 'org/a', 'Org', 5, ['x', 'y'], '{"license": "mit"}', ['Org/B']),
                          (1, 'Org/B', 'org/b', 'Org', 7, NULL, NULL, NULL)""")
    before = con.execute("SELECT * FROM models ORDER BY id").fetchall()
    assert any(r[0] == "PRIMARY KEY" for r in con.execute(
        "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'models'").fetchall())
    con.close()
    with Store(db) as s:
        assert s.schema_version() >= 4
        assert s._exec("SELECT * FROM models ORDER BY id").fetchall() == before
        assert s._one("SELECT typeof(card_data) FROM models WHERE id = 'Org/A'")[0] == "JSON"
        assert s.snapshot(1).row_count == 2


def test_memory_limit_is_applied_from_the_argument_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("MODELCENSUS_MEMORY_LIMIT", raising=False)
    with Store(tmp_path / "a.duckdb", memory_limit="256MB") as s:
        limit = s._one("SELECT current_setting('memory_limit')")[0]
        assert limit.replace(" ", "") in ("244.1MiB", "256.0MB", "256MB")
        assert s._one("SELECT current_setting('temp_directory')")[0] == str(tmp_path / "a.duckdb") + ".tmp"
    monkeypatch.setenv("MODELCENSUS_MEMORY_LIMIT", "1GB")
    with Store(tmp_path / "a.duckdb") as s:
        assert s._one("SELECT current_setting('memory_limit')")[0].replace(" ", "") in ("953.6MiB", "1.0GB")
    with Store(tmp_path / "a.duckdb", memory_limit="512MB") as s:  # the argument wins over the environment
        assert s._one("SELECT current_setting('memory_limit')")[0].replace(" ", "") in ("488.2MiB", "512.0MB")


@pytest.mark.parametrize("bad", ["lots", "4GB'; DROP TABLE models; --", "-1GB"])
def test_a_bad_memory_limit_is_one_clear_error(tmp_path, monkeypatch, bad):
    monkeypatch.setenv("MODELCENSUS_MEMORY_LIMIT", bad)
    with pytest.raises(InputError, match="MODELCENSUS_MEMORY_LIMIT"):
        Store(tmp_path / "b.duckdb")


def test_bulk_load_restores_insertion_order(store):
    with store.bulk_load():
        assert store._one("SELECT current_setting('preserve_insertion_order')")[0] is False
    assert store._one("SELECT current_setting('preserve_insertion_order')")[0] is True


def _insertion_order(store):
    return store._one("SELECT current_setting('preserve_insertion_order')")[0]


def test_bulk_load_restores_insertion_order_after_a_failed_transaction(store):
    """A statement failing inside the block aborts the transaction, which refuses the restore until it is rolled
    back: the store restores it after the rollback (review26 P3: it stayed false for the rest of the process)."""
    with pytest.raises(duckdb.Error), store.transaction(), store.bulk_load(), store.bulk_load():  # nested too
        store._exec("SELECT * FROM no_such_table")
    assert _insertion_order(store) is True
    store._exec("BEGIN TRANSACTION")  # rolled back by someone else (an engine's transaction, a script)
    with pytest.raises(duckdb.Error), store.bulk_load():
        store._exec("SELECT * FROM no_such_table")
    store._exec("ROLLBACK")
    with store.bulk_load():  # the next block restores it first, then records the right value to come back to
        assert _insertion_order(store) is False
    assert _insertion_order(store) is True


def test_a_restore_queued_inside_a_block_never_replays_after_the_block_restored(store):
    """An inner block's restore, refused by a transaction someone else rolls back, must not replay after the
    outer block has restored the setting itself (review27 R27-2: it left the setting false for good)."""
    from modelcensus.store.engine_duckdb import DuckDBEngine

    with pytest.raises(duckdb.Error), store.bulk_load(), DuckDBEngine.from_store(store).transaction(), \
            store.bulk_load():
        store._exec("SELECT * FROM no_such_table")
    assert _insertion_order(store) is True
    with store.bulk_load():
        pass
    assert _insertion_order(store) is True
