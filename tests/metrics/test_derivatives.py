"""Derivatives per createdAt month: by relation, root vs parent credit, ATOM's >5 filter, curated roots."""

from __future__ import annotations

import pytest

from modelcensus.metrics import compute_metric


def test_derivatives_by_relation_per_month(store, reg, b):
    b.world(store)
    res = compute_metric(store, "derivatives", registry=reg, ensure=False)
    assert res.by == "relation"
    got = {(r["month"], r["relation"]): (r["derivatives"], r["share"]) for r in res.rows}
    assert got == {("2024-12", "finetune"): (1, 1), ("2025-01", "finetune"): (1, pytest.approx(1 / 3)),
                   ("2025-01", "quantized"): (1, pytest.approx(1 / 3)), ("2025-01", "merge"): (1, pytest.approx(1 / 3))}


def test_derivative_share_by_family_credits_roots_fractionally(store, reg, b):
    b.world(store)
    res = compute_metric(store, "derivative_share", registry=reg, ensure=False)
    got = {(r["month"], r["family"]): (r["derivatives"], r["share"]) for r in res.rows}
    # January: GGUF (qwen, via the fine-tune), Q-7B-ft (qwen), merge 1/2 qwen + 1/2 llama
    assert got[("2025-01", "qwen")] == (2.5, pytest.approx(2.5 / 3))
    assert got[("2025-01", "llama")] == (0.5, pytest.approx(0.5 / 3))
    assert got[("2024-12", "llama")] == (1, 1)


def test_parent_credit_goes_to_the_immediate_parent_publisher(store, reg, b):
    b.world(store)
    res = compute_metric(store, "derivatives", by="org", credit="parent", registry=reg, ensure=False)
    got = {(r["month"], r["org"]): r["derivatives"] for r in res.rows}
    # GGUF -> comm/Q-7B-ft (Comm); Q-7B-ft -> Qwen; merge -> 1/2 Comm + 1/2 Meta; L-8B-ft -> Meta
    assert got == {("2024-12", "Meta"): 1, ("2025-01", "Comm"): 1.5, ("2025-01", "Alibaba Qwen"): 1,
                   ("2025-01", "Meta"): 0.5}
    root = compute_metric(store, "derivatives", by="org", registry=reg, ensure=False)
    assert {(r["month"], r["org"]): r["derivatives"] for r in root.rows} == {
        ("2024-12", "Meta"): 1, ("2025-01", "Alibaba Qwen"): 2.5, ("2025-01", "Meta"): 0.5}


def test_atom_download_filter_on_a_named_field(store, reg, b):
    b.world(store)
    # all-time: GGUF 300, Q-7B-ft 150, merge 200, L-8B-ft 80 -> > 100 drops L-8B-ft
    res = compute_metric(store, "derivative_share", period="all", min_downloads=100, registry=reg, ensure=False)
    assert {r["family"]: r["derivatives"] for r in res.rows} == {"qwen": 2.5, "llama": 0.5}
    assert any("downloads_all_time > 100" in n for n in res.notes)
    res30 = compute_metric(store, "derivative_share", period="all", min_downloads=100,
                           min_downloads_field="downloads_30d", registry=reg, ensure=False)
    # 30-day: GGUF 300, merge 200 pass; Q-7B-ft 100 and L-8B-ft 50 do not
    assert {r["family"]: r["derivatives"] for r in res30.rows} == {"qwen": 1.5, "llama": 0.5}


def test_curated_population_filters_the_root_not_the_derivative(store, reg, b):
    b.world(store)
    store._exec("INSERT INTO populations VALUES ('atom', 'Qwen/Q-7B', 'Qwen', 'test', now())").fetchall()
    res = compute_metric(store, "derivative_share", population="atom", period="all", registry=reg, ensure=False)
    # only the Qwen half of the merge counts; L-8B-ft (llama root) is out
    assert {r["family"]: r["derivatives"] for r in res.rows} == {"qwen": 2.5}
    assert res.rows[0]["share"] == 1


def test_no_derivative_gives_empty_rows(store, reg, b):
    sid = b.add_snapshot(store, "2025-01-01")
    b.add_models(store, sid, [dict(id="a/root", created="2024-01-01", d30=5)])
    b.add_origin(store, sid, "a/root", "a/root", root_country="US")
    res = compute_metric(store, "derivatives", registry=reg, ensure=False)
    assert res.rows == []
    assert any("no derivative" in n for n in res.notes)


def test_teacher_edges_that_do_not_decide_the_root_are_not_parents(store, reg, b):
    sid = b.world(store)
    # a distillation teacher shown for display only (structural = false) must not become a second parent
    store._exec("INSERT INTO edges (snapshot_id, child_id, parent_id, relation, inferred, grade, evidence, "
                "structural) VALUES (?, 'comm/L-8B-ft', 'Qwen/Q-7B', 'distillation', TRUE, 'name', 'teacher', "
                "FALSE)", [sid]).fetchall()
    rel = compute_metric(store, "derivatives", registry=reg, ensure=False)
    assert {(r["month"], r["relation"]) for r in rel.rows} >= {("2024-12", "finetune")}
    parent = compute_metric(store, "derivatives", by="org", credit="parent", registry=reg, ensure=False)
    assert {(r["month"], r["org"]): r["derivatives"] for r in parent.rows}[("2024-12", "Meta")] == 1
