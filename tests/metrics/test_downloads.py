"""Downloads on one snapshot: root-weighted shares, merges with fractional credit, unknown groups kept."""

from __future__ import annotations

import pytest

from modelcensus.metrics import compute_metric


def test_downloads_by_root_country_gives_merge_half_credit_and_keeps_unknown(store, reg, b):
    b.world(store)
    res = compute_metric(store, "downloads", by="root_country", registry=reg, ensure=False)
    rows = b.by_key(res.rows, "root_country")
    # CN: Q-7B 1000 + GGUF 300 + Q-7B-ft 100 + half the merge 100 = 1500
    # US: L-8B 600 + L-8B-ft 50 + half the merge 100 = 750; unknown: solo/mystery 50
    assert rows["CN"]["downloads"] == pytest.approx(1500)
    assert rows["US"]["downloads"] == pytest.approx(750)
    assert rows[None]["downloads"] == pytest.approx(50)
    assert rows["CN"]["models"] == pytest.approx(3.5)
    assert rows["CN"]["share"] == pytest.approx(1500 / 2300)
    assert rows[None]["share"] == pytest.approx(50 / 2300)
    assert res.field == "downloads_30d"
    assert sum(r["share"] for r in res.rows) == pytest.approx(1.0)


def test_publisher_country_credits_the_namespace_not_the_root(store, reg, b):
    b.world(store)
    res = compute_metric(store, "downloads", by="publisher_country", registry=reg, ensure=False)
    rows = b.by_key(res.rows, "publisher_country")
    # FR (comm): 100 + 50 + 200 = 350 — the merge counts whole for its publisher
    assert rows["FR"]["downloads"] == pytest.approx(350)
    assert rows["CN"]["downloads"] == pytest.approx(1000)
    assert rows["US"]["downloads"] == pytest.approx(600)
    # bart (no country) and solo (no origins row) are both unknown: 300 + 50
    assert rows[None]["downloads"] == pytest.approx(350)


def test_all_time_field_and_org_type_on_publisher_side(store, reg, b):
    b.world(store)
    res = compute_metric(store, "downloads", by="org_type", field="downloads_all_time", attribution="publisher",
                         registry=reg, ensure=False)
    rows = b.by_key(res.rows, "org_type")
    assert rows["big_tech"]["downloads"] == 9000            # 5000 + 4000
    assert rows["intermediary"]["downloads"] == 300
    assert rows["community"]["downloads"] == 430           # 150 + 80 + 200
    assert res.field == "downloads_all_time"
    assert res.to_json()["options"] == {"attribution": "publisher"}


def test_size_class_and_relation_keys(store, reg, b):
    b.world(store)
    sizes = b.by_key(compute_metric(store, "downloads", by="size_class", registry=reg, ensure=False).rows,
                     "size_class")
    # 7-9B: Q-7B(params) 1000, L-8B(params) 600, GGUF(name 7B) 300, Q-7B-ft 100, L-8B-ft 50; merge-15B: 10-50B
    assert sizes["7-9B"]["downloads"] == 2050
    assert sizes["10-50B"]["downloads"] == 200
    assert sizes[None]["downloads"] == 50
    rel = b.by_key(compute_metric(store, "downloads", by="relation", registry=reg, ensure=False).rows, "relation")
    assert rel["original"]["downloads"] == 1650            # two roots + the model without edges
    assert rel["merge"]["downloads"] == 200
    assert rel["quantized"]["downloads"] == 300
    assert rel["finetune"]["downloads"] == 150


def test_population_llm_and_curated_list(store, reg, b):
    sid = b.world(store)
    llm = compute_metric(store, "downloads", by="root_country", population="llm", registry=reg, ensure=False)
    assert None not in b.by_key(llm.rows, "root_country")   # solo/mystery is text-to-image
    store._exec("INSERT INTO populations VALUES ('atom', 'qwen/q-7b', 'Qwen', 'test', now()), "
                "('atom', 'meta-llama/L-8B', 'meta-llama', 'test', now())").fetchall()
    atom = compute_metric(store, "downloads", by="root_country", population="atom", registry=reg, ensure=False,
                          snapshot=sid)
    assert {r["root_country"]: r["downloads"] for r in atom.rows} == {"CN": 1000, "US": 600}
    assert atom.population == "atom"


def test_empty_population_gives_no_rows_and_says_so(store, reg, b):
    b.world(store)
    store._exec("INSERT INTO populations VALUES ('empty', 'nobody/none', NULL, 'test', now())").fetchall()
    res = compute_metric(store, "downloads", by="root_country", population="empty", registry=reg, ensure=False)
    assert res.rows == []
    assert any("no model" in n for n in res.notes)


def test_since_keeps_models_created_since(store, reg, b):
    b.world(store)
    res = compute_metric(store, "downloads", by="root_country", since="2025-01-01", registry=reg, ensure=False)
    rows = b.by_key(res.rows, "root_country")
    # created in 2025: GGUF 300, Q-7B-ft 100, merge 200 (100/100), mystery 50
    assert rows["CN"]["downloads"] == 500
    assert rows["US"]["downloads"] == 100
    assert rows[None]["downloads"] == 50
