"""Every source says what its snapshot covers (scope + filter), and `import --scope` overrides it (issue 8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import fakehub
import pytest

from modelcensus.cli.main import run
from modelcensus.errors import InputError
from modelcensus.sources.hub_api import pull_hub
from modelcensus.sources.hub_pages import RetryPolicy
from modelcensus.sources.ingest import import_path
from modelcensus.store import Store
from modelcensus.store.export import export_snapshot

FAST = RetryPolicy(timeout=1.0, max_attempts=4, backoff_base=0.02, backoff_cap=0.1)
RECORDS = [{"id": "org/a", "downloads": 5, "pipeline_tag": "text-generation"},
           {"id": "org/b", "downloads": 7, "library_name": "transformers"}]


@pytest.fixture
def hub(monkeypatch, tmp_path):
    fakehub.isolate_hf_env(monkeypatch, tmp_path)
    with fakehub.FakeHub(n_models=1200, seed=5) as h:
        monkeypatch.setenv("HF_ENDPOINT", h.url)
        yield h


def test_hub_crawls_full_partial_and_delta(hub, store: Store) -> None:
    full = pull_hub(store, progress=False, retry=FAST).snapshot
    assert (full.scope, full.filter) == ("full", None)
    by_author = pull_hub(store, author="qwen", progress=False, retry=FAST).snapshot
    assert (by_author.scope, by_author.filter) == ("partial", {"author": "qwen"})
    limited = pull_hub(store, limit=100, search="gemma", progress=False, retry=FAST).snapshot
    assert (limited.scope, limited.filter) == ("partial", {"limit": 100, "search": "gemma"})
    delta = pull_hub(store, since="2023-06-01", progress=False, retry=FAST).snapshot
    assert (delta.scope, delta.filter) == ("delta", {"since": "2023-06-01T00:00:00Z"})
    # the store's own view agrees with what the crawl returned
    assert store.snapshot(by_author.id).filter == {"author": "qwen"}


def test_flat_file_is_partial_unless_told(store: Store, tmp_path) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps(RECORDS))
    snap = import_path(store, path, observed_at="2025-01-01")[0].snapshot
    assert (snap.scope, snap.filter) == ("partial", {"file": ["models.json"]})
    # told: the same file again (already present) becomes full; the content is not imported twice
    again = import_path(store, path, observed_at="2025-01-01", scope="full")[0]
    assert again.already_present and (again.snapshot.scope, again.snapshot.filter) == ("full", None)
    assert "--scope full" in again.snapshot.notes["scope_from"]
    assert store._one("SELECT count(*) FROM models")[0] == 2
    with pytest.raises(InputError, match="--scope 'delta'"):
        import_path(store, path, observed_at="2025-01-01", scope="delta")


def test_hubstats_and_synthetic_are_full(store: Store, tmp_path) -> None:
    from modelcensus.sources.hubstats import import_hubstats_parquet
    from modelcensus.sources.synthetic import generate_hub, load_series, write_hubstats_parquet

    path = write_hubstats_parquet(tmp_path / "models.parquet", n_models=300, seed=2)
    snap = import_hubstats_parquet(store, path).snapshot
    assert (snap.scope, snap.filter) == ("full", None)
    snaps = load_series(store, generate_hub(n_models=200, months=2, seed=3))
    assert {s.scope for s in snaps} == {"full"}


def test_export_round_trip_keeps_scope_and_filter(store: Store, tmp_path) -> None:
    path = tmp_path / "slice.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n")
    snap = import_path(store, path, observed_at="2025-02-01")[0].snapshot
    out = export_snapshot(store, snap.id, "jsonl", tmp_path / "out.jsonl")
    with Store(tmp_path / "other.duckdb") as other:
        back = import_path(other, out)[0].snapshot
        assert (back.scope, back.filter) == ("partial", {"file": ["slice.jsonl"]})


def test_snapshots_command_shows_scope_and_filter(store: Store, tmp_path, capsys) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps(RECORDS))
    import_path(store, path, observed_at=datetime(2025, 1, 1, tzinfo=UTC))
    db = store.path
    store.close()
    assert run(["--db", str(db), "snapshots", "--format", "json"]) == 0
    snap = json.loads(capsys.readouterr().out)["snapshots"][0]
    assert snap["scope"] == "partial" and snap["filter"] == {"file": ["models.json"]}
    assert run(["--db", str(db), "import", str(path), "--observed-at", "2025-01-01", "--scope", "full"]) == 0
    assert "scope full" in capsys.readouterr().out
    assert run(["--db", str(db), "import", str(path), "--scope", "everything"]) == 2
    assert run(["--db", str(db), "populations", "--format", "json"]) == 0
    pops = json.loads(capsys.readouterr().out)["populations"]
    assert [p["name"] for p in pops] == ["all", "llm"]
