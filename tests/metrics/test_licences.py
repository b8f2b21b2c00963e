"""Licence mix by group and licence drift along lineage."""

from __future__ import annotations

import pytest

from modelcensus.metrics import compute_metric


def test_licence_mix_by_root_country(store, reg, b):
    b.world(store)
    res = compute_metric(store, "licences", by="root_country", registry=reg, ensure=False)
    got = {(r["root_country"], r["license_class"]): r for r in res.rows}
    # CN credit: Q-7B apache, GGUF mit, Q-7B-ft mit (permissive 3), merge 'other' (custom 0.5) of 3.5
    assert got[("CN", "permissive")]["models"] == 3
    assert got[("CN", "permissive")]["share"] == pytest.approx(3 / 3.5)
    assert got[("CN", "custom")]["models"] == 0.5
    # US: L-8B llama3.1 (restricted), L-8B-ft mit, merge 1/2 custom
    assert got[("US", "restricted")]["share"] == pytest.approx(1 / 2.5)
    assert got[(None, "unknown")]["models"] == 1        # no licence, no origin: still visible


def test_licence_mix_detail_license_ids(store, reg, b):
    b.world(store)
    res = compute_metric(store, "licences", by="family", detail="license", registry=reg, ensure=False)
    got = {(r["family"], r["license"]): r["models"] for r in res.rows}
    assert got[("qwen", "mit")] == 2 and got[("qwen", "apache-2.0")] == 1 and got[("llama", "llama3.1")] == 1


def test_licence_drift_llama_root_under_mit(store, reg, b):
    b.world(store)
    res = compute_metric(store, "licence_drift", registry=reg, ensure=False)
    rows = b.by_key(res.rows, "family")
    # llama derivatives: L-8B-ft (mit <- llama3.1: drift) and half the merge ('other': not comparable)
    assert rows["llama"]["derivatives"] == 1.5
    assert rows["llama"]["comparable"] == 1
    assert rows["llama"]["drifted"] == 1 and rows["llama"]["share"] == 1
    assert rows["llama"]["examples"] == ["comm/L-8B-ft [mit] <- meta-llama/L-8B [llama3.1]"]
    # qwen: mit under apache-2.0 is not *more* permissive
    assert rows["qwen"]["drifted"] == 0 and rows["qwen"]["comparable"] == 2


def test_licence_drift_pairs_and_unknown_root(store, reg, b):
    sid = b.world(store)
    b.add_models(store, sid, [dict(id="comm/G-ft", created="2025-01-03", d30=7, license="mit")])
    b.add_origin(store, sid, "comm/G-ft", "google/G-absent", root_country="US", family="gemma")
    res = compute_metric(store, "licence_drift", pairs=True, registry=reg, ensure=False)
    assert [(r["root_license"], r["child_license"], r["derivatives"]) for r in res.rows] == [("llama3.1", "mit", 1)]
    assert any("1 derivative-root pair(s) have no root licence" in n for n in res.notes)


def test_licence_metrics_need_a_registry(store, b, monkeypatch):
    from modelcensus.errors import InputError
    from modelcensus.metrics import licences
    from modelcensus.metrics.scope import Scope

    b.world(store)
    monkeypatch.setattr(licences, "resolve_registry", lambda reg: None)   # no lineage stage installed
    scope = Scope(store, [store.snapshot()], "all", None, None)
    with pytest.raises(InputError, match="registry"):
        licences.licence_mix(scope, None, None)


def test_licence_drift_reads_the_root_row_spelled_as_the_root(store, reg, b):
    """Review13 R13-3, labelled first: a second model spelled as the root but for case no longer joins the root's
    row twice (the derivative counted 2.5 and drifted from both licences); with no row spelled exactly as the root
    and two case variants, the root's licence is unknown and said so, not picked."""
    sid = b.world(store)
    b.add_models(store, sid, [dict(id="Meta-Llama/L-8B", created="2025-01-02", d30=1, license="apache-2.0"),
                              dict(id="comm/G-ft", created="2025-01-03", d30=7, license="mit"),
                              dict(id="Google/G-2b", created="2025-01-01", d30=1, license="gemma"),
                              dict(id="google/G-2B", created="2025-01-01", d30=1, license="apache-2.0")])
    b.add_origin(store, sid, "comm/G-ft", "google/g-2b", root_country="US", family="gemma")
    res = compute_metric(store, "licence_drift", registry=reg, ensure=False)
    rows = b.by_key(res.rows, "family")
    assert rows["llama"]["derivatives"] == 1.5 and rows["llama"]["drifted"] == 1
    assert rows["llama"]["examples"] == ["comm/L-8B-ft [mit] <- meta-llama/L-8B [llama3.1]"]
    assert rows["gemma"]["derivatives"] == 1 and rows["gemma"]["comparable"] is None
    assert any("1 derivative-root pair(s) have no root licence" in n and "but for case" in n for n in res.notes)
