"""ATOM's views on real data: the hf_model_trees_2025 snapshots, ATOM's list and region table.

The ATOM-population numbers are sums of real 30-day counts of first-party models in the
2025-04-22 snapshot, checked by hand against models_flat.csv.gz (DeepSeek-R1 1,757,133 +
DeepSeek-V3 775,641 + Janus-Pro-7B 235,631; Llama-2-7b-chat-hf 1,186,755 + phi-2 885,255 +
Llama-2-7b 0).
"""

from __future__ import annotations

import pytest

from modelcensus.metrics import compute_metric
from modelcensus.metrics.anchors import atom_comparison

pytestmark = pytest.mark.shared


@pytest.fixture
def trees(store, shared_data):
    from modelcensus.lineage.registry import load_registry
    from modelcensus.sources.ingest import import_path

    import_path(store, shared_data / "hf_model_trees_2025" / "models_flat.csv.gz")
    import_path(store, shared_data / "atom_tracked_models" / "models.csv", source="atom")
    snap = next(s for s in store.snapshots() if s.observed_at.date().isoformat() == "2025-04-22")
    return store, snap.id, load_registry(), shared_data / "atom_tracked_models"


def test_atom_population_same_under_both_rules(trees):
    store, sid, reg, atom = trees
    out = atom_comparison(store, regions=str(atom / "organization_regions.csv"), registry=reg, snapshot=sid,
                          population="atom")
    ns = {r["namespace_region"]: r["downloads"] for r in out["namespace_region"].rows}
    assert ns == {"china": 1_757_133 + 775_641 + 235_631, "us": 1_186_755 + 885_255}
    root = {r["root_namespace_region"]: r["downloads"] for r in out["root_namespace_region"].rows}
    assert root == ns                        # first-party checkpoints: namespace = root org
    assert not any(r["moved"] for r in out["region_shift"].rows)


def test_whole_trees_move_derivatives_to_their_roots(trees):
    store, sid, reg, atom = trees
    regions = str(atom / "organization_regions.csv")
    ns = compute_metric(store, "downloads", by="namespace_region", snapshot=sid, registry=reg, regions=regions)
    root = compute_metric(store, "downloads", by="root_namespace_region", snapshot=sid, registry=reg,
                          regions=regions)
    ns_models = {r["namespace_region"]: r["models"] for r in ns.rows}
    root_models = {r["root_namespace_region"]: r["models"] for r in root.rows}
    # most repos in these trees are community fine-tunes in namespaces ATOM never reviewed ...
    assert ns_models["unreviewed"] > 0.9 * sum(ns_models.values())
    # ... and the root rule gives almost all of them a region (their base model's)
    assert root_models.get("unreviewed", 0) < 0.05 * sum(root_models.values())
    assert root_models["china"] > 100 * ns_models["china"]
    assert sum(ns_models.values()) == pytest.approx(sum(root_models.values()))
