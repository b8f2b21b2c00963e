"""Store core: schema versioning, all-or-nothing imports, idempotence, case-insensitive ids."""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path

import pytest

from modelcensus.errors import InputError
from modelcensus.sources.ingest import import_path
from modelcensus.store import Store

TABLES = ("snapshots", "models", "declarations", "populations", "crawl_state")


def _counts(store: Store) -> dict[str, int]:
    return {t: store._one(f"SELECT count(*) FROM {t}")[0] for t in TABLES}


def _records(n: int, start: int = 0) -> list[dict]:
    return [{"id": f"Org{i % 3}/Model-{i}", "author": f"Org{i % 3}", "downloads": i * 10, "likes": i,
             "lastModified": "2025-01-02T03:04:05.000Z", "tags": ["transformers", f"base_model:Org0/Model-{i // 2}"],
             "cardData": {"license": "apache-2.0", "base_model": f"Org0/Model-{i // 2}"}}
            for i in range(start, start + n)]


def _write_jsonl(path: Path, records: list[dict]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for r in records:
            fh.write(json.dumps(r) + "\n")
    return path


def test_migrations_bring_the_schema_to_the_newest_version(tmp_path):
    files = [p.name for p in resources.files("modelcensus.store").joinpath("migrations").iterdir()
             if p.name.endswith(".sql")]
    newest = max(int(name.split("_", 1)[0]) for name in files)
    with Store(tmp_path / "s.duckdb") as s:
        assert s.schema_version() == newest
    with Store(tmp_path / "s.duckdb") as s:  # re-opening applies nothing twice
        assert s.schema_version() == newest
        assert s._one("SELECT count(*) FROM schema_version")[0] == len(files)


def test_failure_mid_import_leaves_the_store_exactly_as_it_was(store, tmp_path, monkeypatch):
    import_path(store, _write_jsonl(tmp_path / "first.jsonl.gz", _records(50)), observed_at="2025-01-01")
    before = _counts(store)
    snaps_before = [s.as_dict() for s in store.snapshots()]
    calls = {"n": 0}
    real_stage = Store.stage_arrow

    def failing_stage(self, sid, table, skipped):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real_stage(self, sid, table, skipped)

    monkeypatch.setattr(Store, "stage_arrow", failing_stage)
    path = _write_jsonl(tmp_path / "second.jsonl.gz", _records(500, start=1000))
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_path(store, path, observed_at="2025-02-01", batch_size=100)
    assert calls["n"] == 3  # two batches had landed inside the transaction
    assert _counts(store) == before
    assert [s.as_dict() for s in store.snapshots()] == snaps_before
    monkeypatch.undo()
    res = import_path(store, path, observed_at="2025-02-01", batch_size=100)
    assert res[0].snapshot.row_count == 500 and not res[0].already_present


def test_truncated_file_rolls_back_a_whole_directory(store, tmp_path):
    d = tmp_path / "drop"
    d.mkdir()
    _write_jsonl(d / "a_20250101_000000.jsonl.gz", _records(20))
    data = _write_jsonl(tmp_path / "b.jsonl.gz", _records(5000, start=100)).read_bytes()
    (d / "b_20250102_000000.jsonl.gz").write_bytes(data[: len(data) // 2])
    before = _counts(store)
    with pytest.raises(InputError, match=r"b_20250102_000000\.jsonl\.gz: truncated or corrupt data"):
        import_path(store, d)
    assert _counts(store) == before


def test_reimport_is_idempotent(store, tmp_path):
    path = _write_jsonl(tmp_path / "m.jsonl.gz", _records(30))
    first = import_path(store, path, observed_at="2025-01-01")
    after_first = _counts(store)
    again = import_path(store, path, observed_at="2025-01-01T00:00:00Z")
    assert again[0].already_present and again[0].snapshot.id == first[0].snapshot.id
    assert _counts(store) == after_first
    later = import_path(store, path, observed_at="2025-03-01")  # a different observation: a new snapshot
    assert not later[0].already_present
    assert _counts(store)["snapshots"] == 2


def test_ids_match_case_insensitively_through_id_lower(store, tmp_path):
    sid = import_path(store, _write_jsonl(tmp_path / "m.jsonl.gz", _records(6)), observed_at="2025-01-01")[0]
    rows = store.con.execute("SELECT id FROM models WHERE snapshot_id = ? AND id_lower = lower(?)",
                             [sid.snapshot.id, "org1/MODEL-4"]).fetchall()
    assert rows == [("Org1/Model-4",)]  # the stored spelling is the Hub's
    assert store._one("SELECT count(*) FROM models WHERE id_lower <> lower(id)")[0] == 0
