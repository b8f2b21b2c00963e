"""Intermediaries (registry rule vs heuristic), size distribution and release cadence."""

from __future__ import annotations

import pytest

from modelcensus.metrics import compute_metric


def quant_world(store, b):
    """quanty: 5 repos, 3 quants of others' models -> heuristic fires; small: 4 quants (< 5 repos) -> not;
    reg: 1 repo marked intermediary in the registry; base/B: the base model."""
    sid = b.add_snapshot(store, "2025-01-01")
    rows = [dict(id="base/B", created="2024-01-01", d30=1000)]
    rows += [dict(id=f"quanty/B-{q}-GGUF", created="2024-06-01", d30=100) for q in ("a", "b", "c")]
    rows += [dict(id=f"quanty/own-{i}", created="2024-06-01", d30=10) for i in (1, 2)]
    rows += [dict(id=f"small/B-{q}-AWQ", created="2024-06-01", d30=20) for q in ("a", "b", "c", "d")]
    rows += [dict(id="reg/B-copy", created="2024-06-01", d30=50)]
    b.add_models(store, sid, rows)
    for q in ("a", "b", "c"):
        b.add_edge(store, sid, f"quanty/B-{q}-GGUF", "base/B", "quantized")
    for q in ("a", "b", "c", "d"):
        b.add_edge(store, sid, f"small/B-{q}-AWQ", "base/B", "quantized")
    b.add_origin(store, sid, "reg/B-copy", "base/B", publisher_org_type="intermediary", root_country="US")
    b.add_origin(store, sid, "base/B", "base/B", root_country="US")
    return sid


def test_intermediary_rules_and_download_shares(store, reg, b):
    quant_world(store, b)
    res = compute_metric(store, "intermediaries", registry=reg, ensure=False)
    got = {r["rule"]: r for r in res.rows}
    total = 1000 + 300 + 20 + 80 + 50
    assert got["heuristic"]["downloads"] == 320 and got["heuristic"]["namespaces"] == 1
    assert got["registry"]["downloads"] == 50
    assert got["none"]["downloads"] == 1080              # base + small's 80
    assert got["heuristic"]["share"] == pytest.approx(320 / total)
    detail = compute_metric(store, "intermediaries", detail="namespaces", registry=reg, ensure=False)
    assert [(r["namespace"], r["rule"], r["repos"], r["repackaged"]) for r in detail.rows] == [
        ("quanty", "heuristic", 5, 3), ("reg", "registry", 1, 0)]
    lower = compute_metric(store, "intermediaries", detail="namespaces", min_repos=4, registry=reg, ensure=False)
    assert {r["namespace"]: r["rule"] for r in lower.rows}["small"] == "heuristic"


def test_intermediary_share_within_root_groups(store, reg, b):
    b.world(store)
    res = compute_metric(store, "intermediaries", by="root_country", registry=reg, ensure=False)
    got = {(r["root_country"], r["rule"]): r["share"] for r in res.rows}
    assert got[("CN", "registry")] == pytest.approx(300 / 1500)     # bart's GGUF of the Qwen fine-tune
    assert got[("US", "none")] == 1


def test_sizes_distribution(store, reg, b):
    b.world(store)
    res = compute_metric(store, "sizes", registry=reg, ensure=False)
    assert [r["size_class"] for r in res.rows] == ["7-9B", "10-50B", None]
    assert res.rows[0]["models"] == 5 and res.rows[0]["share"] == pytest.approx(2050 / 2300)
    assert res.rows[1]["median_params_b"] == 15
    per = compute_metric(store, "sizes", per_month=True, registry=reg, ensure=False)
    jan = {r["size_class"]: r["share"] for r in per.rows if r["month"] == "2025-01"}
    assert jan == {"7-9B": 0.5, "10-50B": 0.25, None: 0.25}


def test_cadence_counts_first_party_releases(store, reg, b):
    sid = b.world(store)
    b.add_models(store, sid, [dict(id="Qwen/Q-7B-Instruct", created="2024-09-20", d30=10)])
    b.add_origin(store, sid, "Qwen/Q-7B-Instruct", "Qwen/Q-7B", publisher_org="Alibaba Qwen",
                 publisher_country="CN", **b.QWEN)
    res = compute_metric(store, "cadence", registry=reg, ensure=False)
    got = {(r["month"], r["org"]): r["releases"] for r in res.rows}
    # comm's fine-tunes and bart's quant are not first-party; the Qwen instruct tune is
    assert got == {("2024-07", "Meta"): 1, ("2024-09", "Alibaba Qwen"): 2}


def test_a_limit_past_what_a_limit_clause_takes_is_bad_input_on_the_store_path(store, reg, b):
    """Review28 R28-1: 2^63 reached the query's LIMIT and failed there, an internal error (exit 3); review29 R29-4:
    Spark's LIMIT takes at most 2^31 - 1. It is the user's value, so InputError (exit 2) naming it, one bound on
    both paths and engines; 2^31 - 1 is still a limit."""
    from modelcensus.errors import InputError

    b.world(store)
    for limit in (2**31, 2**63):
        with pytest.raises(InputError, match=rf"limit {limit}: expected 0 \(all\) to 2147483647"):
            compute_metric(store, "intermediaries", detail="namespaces", limit=limit, registry=reg, ensure=False)
    assert compute_metric(store, "intermediaries", detail="namespaces", limit=2**31 - 1, registry=reg,
                          ensure=False).rows
