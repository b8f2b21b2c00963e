"""A tiny store with hand-inserted models, edges and origins whose report figures are known by hand.

Three monthly snapshots. Roots: Qwen/Qwen2.5-7B (CN, family qwen, apache-2.0) and
meta-llama/Llama-3.1-8B (US, family llama, llama3.1). Derivatives: a bartowski GGUF of the Qwen model
(publisher country unknown, appears in snapshot 2), a fine-tune of Llama labelled MIT (licence drift),
and a merge of both roots (1/2 each). A hostile model id and licence string are rooted in themselves
(country unknown).

30-day downloads per snapshot (first -> latest):
  Qwen 100 -> 300, Llama 300 -> 200, GGUF - -> 200, llama-ft 100 -> 100, merge 0 -> 0, hostile 0 -> 200
  root CN share: 100/500 = 20 %  ->  (300 + 200) / 1000 = 50 %
  root US share: 400/500 = 80 %  ->  (200 + 100) / 1000 = 30 %
  publisher CN share (latest): 300 / 1000 = 30 %;  unknown root (latest): 200 / 1000 = 20 %
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from modelcensus.lineage.registry import load_registry
from modelcensus.store import Store

HOSTILE_ID = "evil/<script>alert(1)</script>|`x`"
HOSTILE_LICENSE = "<img src=x onerror=alert(2)>|`lic`"

QWEN, LLAMA = "Qwen/Qwen2.5-7B", "meta-llama/Llama-3.1-8B"
GGUF, FT, MERGE = "bartowski/Qwen2.5-7B-GGUF", "someone/llama-ft-8B", "mixer/qwen-llama-merge-8B"

# id: (author, created, licence, params, (d30 per snapshot 1..3; None = absent), (all-time per snapshot))
MODELS = {
    QWEN: ("Qwen", "2024-09-01", "apache-2.0", 7_600_000_000, (100, 200, 300), (1000, 1200, 1500)),
    LLAMA: ("meta-llama", "2024-07-01", "llama3.1", 8_000_000_000, (300, 250, 200), (5000, 5250, 5450)),
    GGUF: ("bartowski", "2025-01-20", "apache-2.0", None, (None, 100, 200), (None, 100, 300)),
    FT: ("someone", "2024-12-05", "mit", 8_000_000_000, (100, 100, 100), (300, 400, 500)),
    MERGE: ("mixer", "2024-12-20", "apache-2.0", 8_000_000_000, (0, 0, 0), (10, 10, 10)),
    HOSTILE_ID: ("evil", "2024-11-01", HOSTILE_LICENSE.lower(), None, (0, 0, 200), (0, 0, 200)),
}
# child -> [(parent, relation)]
EDGES = {GGUF: [(QWEN, "quantized")], FT: [(LLAMA, "finetune")], MERGE: [(QWEN, "merge"), (LLAMA, "merge")]}
ROOT = {QWEN: ("Alibaba Qwen", "CN", "big_tech", "qwen"), LLAMA: ("Meta", "US", "big_tech", "llama")}
PUBLISHER = {"Qwen": ("Alibaba Qwen", "CN", "big_tech"), "meta-llama": ("Meta", "US", "big_tech"),
             "bartowski": ("bartowski", None, "intermediary")}
DATES = ("2025-01-01", "2025-02-01", "2025-03-01")


def _insert(store: Store, *, synthetic: bool, n_snapshots: int, registry_version: str,
            scope: str | None = "full") -> list[int]:
    ids = []
    columns = {r[0] for r in store._exec("DESCRIBE snapshots").fetchall()}
    scope = scope if "scope" in columns else None
    with store.transaction() as con:
        for k in range(n_snapshots):
            date = DATES[k] if n_snapshots > 1 else DATES[-1]
            col = k if n_snapshots > 1 else 2
            observed = datetime.fromisoformat(date).replace(tzinfo=UTC)
            sid = con.execute(
                "INSERT INTO snapshots (source, source_ref, observed_at, imported_at, row_count, skipped_count, "
                "complete, synthetic, fingerprint, notes) VALUES (?, ?, ?, ?, 0, ?, TRUE, ?, ?, '{}') RETURNING id",
                ["synthetic" if synthetic else "flat-file", f"fixture {date}", observed, datetime.now(UTC), k,
                 synthetic, f"fixture-{synthetic}-{n_snapshots}-{k}"]).fetchall()[0][0]
            ids.append(sid)
            if scope:  # a hand-made census of a whole (tiny) hub: comparable across dates
                con.execute("UPDATE snapshots SET scope = ? WHERE id = ?", [scope, sid])
            present = []
            for mid, (author, created, lic, params, d30, dall) in MODELS.items():
                if d30[col] is None:
                    continue
                present.append(mid)
                parents = [p for p, _ in EDGES.get(mid, [])]
                rel = EDGES[mid][0][1] if mid in EDGES else None
                con.execute(
                    "INSERT INTO models (snapshot_id, id, id_lower, author, created_at, downloads_30d, "
                    "downloads_all_time, license, params, pipeline_tag, base_models, base_model_relation) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'text-generation', ?, ?)",
                    [sid, mid, mid.lower(), author, datetime.fromisoformat(created).replace(tzinfo=UTC), d30[col],
                     dall[col], lic, params, parents or None, rel])
            for mid in present:
                ns = mid.split("/")[0]
                porg, pc, ptype = PUBLISHER.get(ns, (None, None, None))
                roots = [p for p, _ in EDGES[mid]] if mid in EDGES else [mid]
                for child, plist in EDGES.items():
                    if child == mid:
                        for parent, relation in plist:
                            con.execute("INSERT INTO edges (snapshot_id, child_id, parent_id, relation, inferred, "
                                        "grade, evidence) VALUES (?, ?, ?, ?, FALSE, 'declared', 'card base_model')",
                                        [sid, child, parent, relation])
                for root in roots:
                    rorg, rc, rtype, fam = ROOT.get(root, (None, None, None, None))
                    con.execute(
                        "INSERT INTO origins (snapshot_id, model_id, publisher_namespace, publisher_org, "
                        "publisher_country, publisher_org_type, root_id, root_org, root_country, root_org_type, "
                        "weight, depth, grade, family, problems) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, [])",
                        [sid, mid, ns, porg, pc, ptype, root, rorg, rc, rtype, 1.0 / len(roots),
                         0 if root == mid else 1, "declared", fam])
            con.execute("UPDATE snapshots SET row_count = ? WHERE id = ?", [len(present), sid])
            # mark lineage as built for this registry and row count, so ensure_lineage keeps the hand-made rows
            con.execute("INSERT INTO lineage_builds (snapshot_id, built_at, registry_version, stats) "
                        "VALUES (?, ?, ?, ?)", [sid, datetime.now(UTC), registry_version,
                                                json.dumps({"models": len(present)})])
    return ids


@pytest.fixture(scope="session")
def names() -> dict[str, str]:
    """The fixture's notable ids (conftest is not importable under --import-mode=importlib)."""
    return {"hostile_id": HOSTILE_ID, "hostile_license": HOSTILE_LICENSE, "qwen": QWEN, "llama": LLAMA}


@pytest.fixture(scope="session")
def registry():
    return load_registry()


def _built_marker(registry) -> str:
    """What lineage_builds.registry_version holds after a build with the current lineage rules, so
    ensure_lineage treats the hand-made rows as current (it appends its rules version to the registry's)."""
    try:
        from modelcensus.lineage import build
    except ImportError:
        return registry.version
    suffix = getattr(build, "_SUFFIX", None) or f"~lineage{build.BUILD_RULES}"
    return f"{registry.version}{suffix}"


@pytest.fixture
def make_store(tmp_path: Path, registry) -> Callable[..., Store]:
    """make_store(synthetic=False, n_snapshots=3) -> an open Store with the hand-made data."""
    opened: list[Store] = []

    def make(*, synthetic: bool = False, n_snapshots: int = 3, name: str = "census.duckdb") -> Store:
        store = Store(tmp_path / name)
        _insert(store, synthetic=synthetic, n_snapshots=n_snapshots, registry_version=_built_marker(registry))
        opened.append(store)
        return store

    yield make
    for s in opened:
        s.close()
