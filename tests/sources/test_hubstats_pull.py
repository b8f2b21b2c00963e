"""`pull hub-stats` against the fake Hub: download through huggingface_hub, import, date by the commit."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import fakehub
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from modelcensus.cli.main import run
from modelcensus.errors import InputError
from modelcensus.sources.hubstats_pull import HUBSTATS_FILE, HUBSTATS_REPO, pull_hubstats

COMMIT_DATE = "2025-06-01T12:00:00.000Z"


def hubstats_parquet(models: list[dict]) -> bytes:
    """A small file in the hub-stats layout (nested columns as structs, like the real dump)."""
    table = pa.Table.from_pylist([{
        "id": m["id"], "author": m["author"], "createdAt": m["createdAt"], "lastModified": m["lastModified"],
        "downloads": m["downloads"], "downloadsAllTime": m["downloadsAllTime"], "likes": m["likes"],
        "trendingScore": float(m["trendingScore"]), "pipeline_tag": m.get("pipeline_tag"),
        "library_name": m.get("library_name"), "tags": m["tags"],
        "baseModels": m.get("baseModels"),
        "safetensors": {"total": m["safetensors"]["total"]},
    } for m in models])
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


@pytest.fixture
def hub(monkeypatch, tmp_path):
    fakehub.isolate_hf_env(monkeypatch, tmp_path)
    with fakehub.FakeHub(n_models=300, seed=4) as h:
        monkeypatch.setenv("HF_ENDPOINT", h.url)
        h.file = h.add_dataset_file(HUBSTATS_REPO, HUBSTATS_FILE, hubstats_parquet(h.models),
                                    last_modified=COMMIT_DATE)
        yield h


def test_pull_downloads_imports_and_dates_by_the_commit(hub, store):
    res = pull_hubstats(store)
    snap = res.snapshot
    assert not res.already_present and snap.source == "hub-stats" and snap.complete
    assert snap.row_count == 300 and snap.skipped_count == 0
    assert snap.source_ref == f"{HUBSTATS_REPO}@{hub.file.sha}"
    assert snap.observed_at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert snap.notes["observed_at_from"] == "commit date of the resolved revision"
    assert snap.notes["pull"]["resolved_revision"] == hub.file.sha
    got = store._one("SELECT downloads_all_time, params FROM models WHERE snapshot_id = ? AND id = ?",
                     [snap.id, hub.models[7]["id"]])
    assert got == (hub.models[7]["downloadsAllTime"], hub.models[7]["safetensors"]["total"])
    # it went through huggingface_hub's download protocol: HEAD for metadata, GET for the bytes
    assert hub.count(f"/datasets/{HUBSTATS_REPO}/resolve/main/", method="HEAD") == 1
    assert hub.count(f"/api/datasets/{HUBSTATS_REPO}/revision/{hub.file.sha}") == 1


def test_pulling_the_same_revision_again_is_a_no_op(hub, store):
    first = pull_hubstats(store)
    again = pull_hubstats(store, revision=hub.file.sha)
    assert again.already_present and again.snapshot.id == first.snapshot.id
    assert len(store.snapshots()) == 1


def test_without_a_commit_date_the_download_time_is_used_and_said(hub, store):
    hub.dataset_info_available = False
    before = datetime.now(UTC)
    res = pull_hubstats(store)
    assert before <= res.snapshot.observed_at <= datetime.now(UTC)
    assert res.snapshot.notes["observed_at_from"].startswith("download time")
    # still idempotent: the revision pins the content even though the date changed
    assert pull_hubstats(store).already_present


def test_bad_revision_and_missing_dataset_are_clear_input_errors(hub, store):
    with pytest.raises(InputError, match="--revision"):
        pull_hubstats(store, revision="0" * 40)
    with pytest.raises(InputError, match="--revision"):
        pull_hubstats(store, revision="../../etc")
    with pytest.raises(InputError, match="not found"):
        pull_hubstats(store, repo_id="nobody/nothing")
    assert store.snapshots() == []


def test_cli_pull_hub_stats(hub, tmp_path, capsys):
    db = str(tmp_path / "cli.duckdb")
    assert run(["--db", db, "pull", "hub-stats"]) == 0
    out = capsys.readouterr().out
    assert "300 models" in out and hub.file.sha in out and "2025-06-01T12:00:00Z" in out
    assert run(["--db", db, "pull", "hub-stats", "--revision", hub.file.sha]) == 0
    assert "already in the store" in capsys.readouterr().out
    assert run(["--db", db, "pull", "hub-stats", "--revision", "no such"]) == 2
    assert capsys.readouterr().err.startswith("modelcensus: --revision")
