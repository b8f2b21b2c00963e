"""Flat files of Hub records: both spellings, every container, observation time, and the real slices."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelcensus.errors import InputError
from modelcensus.sources.ingest import import_path

CAMEL = [
    {"id": "meta-llama/Llama-3.1-8B", "author": "meta-llama", "createdAt": "2024-07-14T22:20:15.000Z",
     "lastModified": "2024-10-16T22:00:37.000Z", "downloads": 1000, "downloadsAllTime": 5000, "likes": 10,
     "pipeline_tag": "text-generation", "library_name": "transformers", "tags": ["license:llama3.1"],
     "cardData": {"license": "llama3.1"}, "safetensors": {"total": 8030261248}, "gated": "manual"},
    {"id": "someone/llama-ft", "downloads": 5, "likes": 1, "lastModified": "2025-01-01T00:00:00Z",
     "cardData": {"base_model": "meta-llama/Llama-3.1-8B", "license": "mit"},
     "baseModels": {"relation": "finetune", "models": [{"id": "meta-llama/Llama-3.1-8B"}]}},
]
SNAKE = [
    {"id": "meta-llama/Llama-3.1-8B", "author": "meta-llama", "created_at": "2024-07-14 22:20:15+00:00",
     "last_modified": "2024-10-16 22:00:37+00:00", "downloads": 1000, "downloads_all_time": 5000, "likes": 10,
     "pipeline_tag": "text-generation", "library_name": "transformers", "tags": ["license:llama3.1"],
     "card_data": "license: llama3.1\n", "safetensors": {"parameters": {"BF16": 8030261248}, "total": 8030261248},
     "gated": "manual"},
    {"id": "someone/llama-ft", "downloads": 5, "likes": 1, "last_modified": "2025-01-01 00:00:00+00:00",
     "card_data": "base_model: meta-llama/Llama-3.1-8B\nlicense: mit\n",
     "base_models": {"relation": "finetune", "models": [{"id": "meta-llama/Llama-3.1-8B"}]}},
]
EXPECTED = [
    ("meta-llama/Llama-3.1-8B", "meta-llama", datetime(2024, 7, 14, 22, 20, 15, tzinfo=UTC), 1000, 5000,
     "llama3.1", 8030261248, "manual", None, None),
    ("someone/llama-ft", "someone", None, 5, None, "mit", None, None, ["meta-llama/Llama-3.1-8B"], "finetune"),
]


def _rows(store, sid):
    return store.con.execute(
        "SELECT id, author, created_at, downloads_30d, downloads_all_time, license, params, gated, base_models, "
        "base_model_relation FROM models WHERE snapshot_id = ? ORDER BY id", [sid]).fetchall()


def _write(path: Path, records: list[dict], kind: str) -> Path:
    if kind == "json":
        text = json.dumps(records)
    elif kind == "jsonl":
        text = "".join(json.dumps(r) + "\n" for r in records)
    else:
        cols = sorted({k for r in records for k in r})
        lines = [",".join(cols)]
        for r in records:
            cells = []
            for c in cols:
                v = r.get(c)
                v = "" if v is None else json.dumps(v) if isinstance(v, dict | list) else str(v)
                cells.append('"' + v.replace('"', '""') + '"')
            lines.append(",".join(cells))
        text = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["json", "jsonl", "csv"])
@pytest.mark.parametrize("records", [CAMEL, SNAKE], ids=["camelCase", "snake_case"])
@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_every_container_and_spelling_lands_the_same(store, tmp_path, kind, records, gz):
    path = _write(tmp_path / (f"models.{kind}" + (".gz" if gz else "")), records, kind)
    res = import_path(store, path, observed_at="2025-02-01")
    snap = res[0].snapshot
    assert (snap.source, snap.source_ref, snap.row_count, snap.skipped_count) == ("flat-file", str(path), 2, 0)
    assert snap.observed_at == datetime(2025, 2, 1, tzinfo=UTC)
    assert _rows(store, snap.id) == EXPECTED


def test_extension_is_not_trusted(store, tmp_path):
    path = _write(tmp_path / "actually-jsonl.csv", CAMEL, "jsonl")
    assert import_path(store, path, observed_at="2025-02-01")[0].snapshot.row_count == 2


def test_observation_time_is_required_when_the_file_does_not_carry_it(store, tmp_path):
    path = _write(tmp_path / "models.jsonl", CAMEL, "jsonl")
    with pytest.raises(InputError, match=r"models\.jsonl: .*pass --observed-at"):
        import_path(store, path)
    assert store.snapshots() == []


def test_name_timestamp_wins_and_shared_timestamps_make_one_snapshot(store, tmp_path):
    d = tmp_path / "run"
    d.mkdir()
    _write(d / "a_finetunes_20250422_180448.jsonl", CAMEL[:1], "jsonl")
    _write(d / "b_finetunes_20250422_180448.jsonl", CAMEL[1:], "jsonl")
    _write(d / "a_finetunes_20250423_010918.jsonl", CAMEL, "jsonl")
    res = import_path(store, d, observed_at="2020-01-01")
    assert [(r.snapshot.observed_at, r.snapshot.row_count) for r in res] == [
        (datetime(2025, 4, 22, 18, 4, 48, tzinfo=UTC), 2), (datetime(2025, 4, 23, 1, 9, 18, tzinfo=UTC), 2)]
    assert "ignored" in res[0].snapshot.notes["observed_at_option_ignored"]
    assert len(res[0].snapshot.notes["files"]) == 2


def test_real_model_tree_files(store, shared_data):
    raw = shared_data / "hf_model_trees_2025" / "raw"
    res = import_path(store, raw)
    stamps = {r.snapshot.observed_at for r in res}
    # 39 tree files, 25 distinct scraper timestamps; 3 non-tree tables are reported, not imported
    assert len(res) == len(stamps) == 25
    assert len(res.skipped_files) == 3
    assert all(r.snapshot.source == "flat-file" for r in res)
    by_time = {r.snapshot.observed_at: r for r in res}
    run = by_time[datetime(2025, 4, 22, 22, 0, 3, tzinfo=UTC)]  # 6 trees scraped in one run
    assert len(run.snapshot.notes["files"]) == 6
    skipped = sum(r.skipped.count for r in res)
    assert skipped == 144 and all(set(r.skipped.reasons) <= {"metadata is missing or N/A"} for r in res)
    total_rows = sum(r.snapshot.row_count for r in res)
    assert 3700 <= total_rows <= 4092 - 144  # tree rows minus N/A, minus models repeated within a run
    r1 = by_time[datetime(2025, 4, 22, 18, 4, 48, tzinfo=UTC)].snapshot.id
    row = store._one("SELECT author, pipeline_tag, base_model_relation, card_text IS NOT NULL, model_type "
                     "FROM models WHERE snapshot_id = ? AND id = 'deepseek-ai/DeepSeek-R1'", [r1])
    assert row == ("deepseek-ai", "text-generation", None, True, "deepseek_v3")
    n_decl = store._one("SELECT count(*) FROM declarations WHERE snapshot_id = ? AND parent_id = "
                        "'deepseek-ai/DeepSeek-R1' AND relation = 'finetune' AND source = 'tag'", [r1])[0]
    assert n_decl > 100
    again = import_path(store, raw)
    assert all(r.already_present for r in again)


def test_real_flat_tree_table_gives_one_snapshot_per_date(store, shared_data):
    path = shared_data / "hf_model_trees_2025" / "models_flat.csv.gz"
    res = import_path(store, path)
    dates = [r.snapshot.observed_at.strftime("%Y%m%d") for r in res]
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert dates == sorted({r["snapshot_yyyymmdd"] for r in rows})
    def has_metadata(r: dict) -> bool:
        return any(r[k] for k in ("author", "downloads", "likes", "last_modified", "pipeline_tag", "library_name"))

    per_date = {d: {r["model_id"] for r in rows if r["snapshot_yyyymmdd"] == d and has_metadata(r)} for d in dates}
    for r in res:
        assert r.snapshot.row_count == len(per_date[r.snapshot.observed_at.strftime("%Y%m%d")])
    assert sum(r.skipped.count for r in res) == sum(1 for r in rows if not has_metadata(r)) == 144
    gemma = next(r for r in res if r.snapshot.observed_at.day == 26).snapshot.id
    assert store._one("SELECT params, license, gated FROM models WHERE snapshot_id = ? AND id = 'google/gemma-7b'",
                      [gemma]) == (8537680896, "gemma", "manual")


def test_real_2022_listing(store, shared_data):
    path = shared_data / "hf_hub_snapshot_2022" / "models_2022-02.jsonl.gz"
    with pytest.raises(InputError, match="--observed-at"):
        import_path(store, path)
    res = import_path(store, path, observed_at="2022-02-21")
    snap = res[0].snapshot
    assert snap.row_count + snap.skipped_count == 29_432
    assert res[0].skipped.reasons == {"id longer than 256 characters": 1}
    with gzip.open(path, "rt") as fh:
        long_id = [json.loads(line) for line in fh if len(json.loads(line)["modelId"]) > 256][0]
    total = store._one("SELECT sum(downloads_30d) FROM models WHERE snapshot_id = ?", [snap.id])[0]
    assert total + (long_id.get("downloads") or 0) == 161_801_309  # PROVENANCE.md's checksum
    assert store._one("SELECT count(*) FROM models WHERE snapshot_id = ? AND author IS NULL", [snap.id])[0] == 68
    assert store._one("SELECT model_type FROM models WHERE snapshot_id = ? AND id = 'bert-base-uncased'",
                      [snap.id]) == ("bert",)
