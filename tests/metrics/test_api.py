"""compute_metric's contract: names, keys, populations, options, JSON/Arrow forms, synthetic flag."""

from __future__ import annotations

import json

import pytest

from modelcensus.errors import InputError
from modelcensus.metrics import METRIC_NAMES, MetricResult, compute_metric


@pytest.mark.parametrize(("kwargs", "match"), [
    (dict(name="nope"), "metric 'nope': expected one of downloads, "),
    (dict(name="downloads", by="planet"), "--by 'planet': expected one of root_country, "),
    (dict(name="downloads", population="mars"), "population 'mars': expected one of all, llm"),
    (dict(name="downloads", field="likes"), "field 'likes' for metric downloads: expected one of downloads_30d"),
    (dict(name="derivatives", field="downloads_30d"), "takes no download field"),
    (dict(name="downloads", colour="red"), "option 'colour' for metric downloads: expected one of "),
    (dict(name="downloads_monthly", gaps="smear"), "gaps 'smear'"),
    (dict(name="derivatives", credit="uncle"), "credit 'uncle'"),
    (dict(name="ram", ages="soon"), "ages 'soon': expected whole numbers of days"),
    (dict(name="concentration", k="0"), "positive"),
    (dict(name="downloads", since="last tuesday"), "--since 'last tuesday'"),
    (dict(name="downloads", snapshot="99"), "snapshot 99"),
    (dict(name="downloads", by="namespace_region"), "regions=PATH"),
    (dict(name="sizes", by="org"), "takes no --by"),
])
def test_bad_input_names_the_input(store, reg, b, kwargs, match):
    b.world(store)
    name = kwargs.pop("name")
    with pytest.raises(InputError, match=match.replace("(", r"\(")):
        compute_metric(store, name, registry=reg, ensure=False, **kwargs)


def test_every_metric_runs_on_the_world_and_serialises(store, reg, b, tmp_path):
    b.world(store)
    regions = tmp_path / "regions.csv"
    regions.write_text("hf_org,region,notes\nQwen,china,\n")
    for name in METRIC_NAMES:
        extra = {"regions": str(regions)} if name == "region_shift" else {}
        res = compute_metric(store, name, registry=reg, ensure=False, **extra)
        assert isinstance(res, MetricResult)
        doc = json.loads(json.dumps(res.to_json()))
        assert doc["metric"] == name and doc["population"] == "all" and "synthetic" not in doc
        assert set(doc) >= {"metric", "by", "snapshots", "population", "field", "rows", "notes"}
        for row in doc["rows"]:
            if row.get("share") is not None:
                assert 0 <= row["share"] <= 1
        table = res.to_arrow()
        assert table.num_rows == len(res.rows)
        assert json.loads(table.schema.metadata[b"modelcensus.metric"])["metric"] == name
    # no TEMP table leaks onto the store's connection
    left = store._exec("SELECT count(*) FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'mc_')")
    assert left.fetchall()[0][0] == 0


def test_design_json_form(store, reg, b):
    b.world(store)
    doc = compute_metric(store, "downloads", by="root_country", registry=reg, ensure=False).to_json()
    assert doc["by"] == "root_country" and doc["field"] == "downloads_30d"
    assert doc["snapshots"][0]["observed_at"] == "2025-01-31T00:00:00Z"
    assert doc["rows"][0] == {"root_country": "CN", "downloads": 1500, "models": 3.5,
                              "share": pytest.approx(1500 / 2300)}


def test_synthetic_snapshot_marks_the_result(store, reg, b):
    sid = b.add_snapshot(store, "2025-01-01", synthetic=True)
    b.add_models(store, sid, [dict(id="a/m", created="2024-01-01", d30=3)])
    res = compute_metric(store, "downloads", registry=reg, ensure=False)
    assert res.synthetic and res.to_json()["synthetic"] is True


def test_namespace_region_reads_atoms_table_case_sensitively(store, reg, b, tmp_path):
    b.world(store)
    regions = tmp_path / "organization_regions.csv"
    regions.write_text("hf_org,region,notes\nQwen,china,\nmeta-llama,us,\nComm,eu,\n")
    res = compute_metric(store, "downloads", by="namespace_region", regions=str(regions), registry=reg,
                         ensure=False)
    got = {r["namespace_region"]: r["downloads"] for r in res.rows}
    # 'comm' is not 'Comm': unreviewed, like bart and solo
    assert got == {"china": 1000, "us": 600, "unreviewed": 700}


def test_root_region_buckets(store, reg, b):
    b.world(store)
    res = compute_metric(store, "downloads", by="root_region", registry=reg, ensure=False)
    assert {r["root_region"]: r["downloads"] for r in res.rows} == {"china": 1500, "us": 750, None: 50}
    pub = compute_metric(store, "downloads", by="publisher_region", registry=reg, ensure=False)
    assert {r["publisher_region"]: r["downloads"] for r in pub.rows} == {"china": 1000, "us": 600, "eu": 350,
                                                                        None: 350}


def test_region_shift_cross_tabulates_namespace_and_root_regions(store, reg, b, tmp_path):
    b.world(store)
    regions = tmp_path / "organization_regions.csv"
    regions.write_text("hf_org,region,notes\nQwen,china,\nmeta-llama,us,\ncomm,eu,\n")
    res = compute_metric(store, "region_shift", regions=str(regions), registry=reg, ensure=False)
    got = {(r["namespace_region"], r["root_namespace_region"]): r["downloads"] for r in res.rows}
    # comm's fine-tunes and merge sit in 'eu' by namespace but move to their roots' regions
    assert got == {("china", "china"): 1000, ("us", "us"): 600, ("unreviewed", "china"): 300,
                   ("eu", "china"): 200, ("eu", "us"): 150, ("unreviewed", "unreviewed"): 50}
    assert any("28.3% of downloads_30d change region" in n for n in res.notes)   # 650 of 2300
