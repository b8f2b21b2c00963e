"""Issue 8 on the real tree scrapes (../shared/data/hf_model_trees_2025/raw) and ATOM's list.

Expected answers, labelled before running (from PROVENANCE.md and the file names):
- every tree snapshot is partial, its filter the tree root(s) of its scraper run;
- the default (latest) snapshot is the gemma-7b tree alone: figures must come with a "no full backbone"
  warning, and a series across different trees must say why no trend is drawn;
- the 2025-04-22 18:04:48 run holds DeepSeek-R1, Llama-2-7b and Llama-2-7b-chat-hf of ATOM's 1,772 listed
  models: "3 of 1,772 population models present", with a low-coverage warning;
- DeepSeek-R1 scraped alone on 04-07, 04-08, 04-10 and 04-16 is a comparable series of itself (its
  04-22 scrape shares one scraper run, hence one snapshot, with four other trees, so it is not).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from modelcensus.cli.main import run
from modelcensus.metrics import compute_metric
from modelcensus.metrics.census import census_points
from modelcensus.store import Store

pytestmark = pytest.mark.shared
R1 = {"tree_roots": ["deepseek-ai/DeepSeek-R1"]}


@pytest.fixture(scope="module")
def tree_db(tmp_path_factory, real_trees_db):
    """The tree scrapes (a copy of the run's imported store, lineage built: tests/conftest.py), then ATOM's list."""
    import shutil
    from pathlib import Path

    from modelcensus.sources.ingest import import_path

    shared = Path(__file__).resolve().parents[2].parent / "shared" / "data"
    path = tmp_path_factory.mktemp("census-real") / "trees.duckdb"
    shutil.copyfile(real_trees_db, path)
    with Store(path) as store:
        import_path(store, shared / "atom_tracked_models" / "models.csv", source="atom")
    return path


@pytest.fixture
def tree_store(tree_db):
    with Store(tree_db) as store:
        yield store


def test_tree_snapshots_are_partial_with_their_roots(tree_store):
    snaps = tree_store.snapshots()
    assert len(snaps) == 25 and {s.scope for s in snaps} == {"partial"}
    r1_alone = [s for s in snaps if s.filter == R1]
    assert [s.observed_at.strftime("%m-%d") for s in r1_alone] == ["04-07", "04-08", "04-10", "04-16"]
    gemma = [s for s in snaps if s.filter == {"tree_roots": ["google/gemma-7b"]}]
    assert len(gemma) == 2


def test_latest_snapshot_states_partial_coverage(tree_db, capsys):
    code = run(["--db", str(tree_db), "metrics", "downloads", "--by", "root_country", "--format", "json"])
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["coverage"]["scopes"] == {"partial": 1} and doc["coverage"]["full_backbone"] is False
    assert doc["coverage"]["models"] == 349
    assert [w["code"] for w in doc["warnings"]] == ["no_full_backbone"]
    assert "google/gemma-7b" in doc["warnings"][0]["message"]
    assert "trend" not in doc  # one snapshot: a level, no change stated
    code = run(["--db", str(tree_db), "metrics", "downloads", "--by", "root_country"])
    text = capsys.readouterr().out
    assert "coverage: 349 models" in text and "WARNING: partial snapshots only" in text


def test_atom_on_snapshot_18_says_3_of_1772(tree_db, capsys):
    with Store(tree_db) as store:
        sid = next(s.id for s in store.snapshots()
                   if s.observed_at == datetime(2025, 4, 22, 18, 4, 48, tzinfo=UTC))
    assert sid == 18  # the snapshot: a fresh store numbers the scrapes in file order
    code = run(["--db", str(tree_db), "metrics", "downloads", "--by", "root_country", "--population", "atom",
                "--snapshot", str(sid)])
    assert code == 0
    text = capsys.readouterr().out
    assert "3 of 1,772 population models present" in text
    assert "WARNING: only 3 of 1,772 atom models (0.2%)" in text


def test_no_false_trend_across_trees(tree_store):
    every = compute_metric(tree_store, "concentration", by="root_country", series=True)
    assert every.trend["comparable"] is False and every.trend["code"] == "different_filters"
    assert "no_trend" in [w["code"] for w in every.warnings]
    points, comp = census_points(tree_store)
    assert [p.as_of.strftime("%Y-%m") for p in points] == ["2025-03", "2025-04"]
    assert comp.comparable is False


def test_deepseek_r1_scrapes_are_a_comparable_series(tree_store):
    ids = ",".join(str(s.id) for s in tree_store.snapshots() if s.filter == R1)
    res = compute_metric(tree_store, "concentration", by="root_country", series=True, snapshots=ids)
    assert res.trend["comparable"] is True and res.trend["signature"].startswith("partial:")
    assert len(res.rows) == 4 and "no_trend" not in [w["code"] for w in res.warnings]
    with_0422 = compute_metric(tree_store, "concentration", by="root_country", series=True,
                               snapshots=ids + ",18")
    assert with_0422.trend["comparable"] is False


def test_as_of_census_combines_the_trees(tree_store):
    res = compute_metric(tree_store, "downloads", by="root_country", as_of="2025-04-30")
    cov = res.coverage
    # every scrape of the 45 days up to 04-30: partial slices, the latest observation of each model
    assert cov["full_backbone"] is False and cov["scopes"]["partial"] == 25
    assert cov["observed"]["oldest"].startswith("2025-03-25") and cov["observed"]["newest"].startswith("2025-04-26")
    distinct = tree_store._one("SELECT count(DISTINCT id_lower) FROM models")[0]
    assert cov["models"] == distinct
    assert "no_full_backbone" in [w["code"] for w in res.warnings]
