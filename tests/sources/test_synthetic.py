"""The synthetic hub: deterministic, Hub-shaped, and structurally like the real one."""

from __future__ import annotations

import json

import duckdb
import pyarrow.parquet as pq
import pytest

from modelcensus.sources.synthetic import write_hubstats_parquet
from modelcensus.sources.synthetic.columns import HUBSTATS_SCHEMA


@pytest.fixture(scope="module")
def hubstats(tmp_path_factory: pytest.TempPathFactory):
    return write_hubstats_parquet(tmp_path_factory.mktemp("hs") / "models.parquet", n_models=20_000, seed=7)


def test_hubstats_schema_rows_and_synthetic_marker(hubstats) -> None:
    f = pq.ParquetFile(hubstats)
    assert f.metadata.num_rows == 20_000
    assert f.schema_arrow.remove_metadata().equals(HUBSTATS_SCHEMA)
    assert f.schema_arrow.metadata[b"synthetic"] == b"true"
    con = duckdb.connect()
    n, distinct, with_parent, merge_share = con.execute(
        f"SELECT count(*), count(DISTINCT id), avg((baseModels IS NOT NULL)::INT), "
        f"avg((baseModels.relation = 'merge')::INT) FILTER (WHERE baseModels IS NOT NULL) "
        f"FROM '{hubstats}'").fetchall()[0]
    assert n == distinct == 20_000
    assert 0.40 <= with_parent <= 0.50
    assert 0.01 <= merge_share <= 0.05
    # JSON columns parse; tags carry the declared parents the way the Hub writes them
    for card, config, tags, bm in con.execute(
            f"SELECT cardData, config, tags, baseModels FROM '{hubstats}' USING SAMPLE 300 ROWS").fetchall():
        card = json.loads(card)
        if config is not None:
            assert isinstance(json.loads(config), dict)
        if bm is not None:
            parents = [m["id"] for m in bm["models"]]
            assert card["base_model"] == (parents if len(parents) > 1 else parents[0])
            for p in parents:
                assert f"base_model:{p}" in tags and f"base_model:{bm['relation']}:{p}" in tags


def test_hubstats_is_deterministic(tmp_path, hubstats) -> None:
    again = write_hubstats_parquet(tmp_path / "a.parquet", n_models=20_000, seed=7)
    other = write_hubstats_parquet(tmp_path / "b.parquet", n_models=20_000, seed=8)
    assert pq.read_table(again).equals(pq.read_table(hubstats))
    assert not pq.read_table(other).equals(pq.read_table(hubstats))
