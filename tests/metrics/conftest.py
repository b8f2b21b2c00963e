"""Hand-made stores for the metric tests: snapshots, models, origins and edges inserted directly.

Every number the tests assert is computed by hand from these rows, so the fixtures do not depend
on the lineage stage; the registry is a small fake with fixed licence classes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest

from modelcensus.store import SnapshotMeta, Store


class FakeRegistry:
    """The registry surface metrics use: version, licence classes and ranks, register."""

    version = "fake-1"
    # licence -> (class, rank in the permissiveness order; None = not comparable)
    LICENSES: dict[str, tuple[str, int | None]] = {
        "mit": ("permissive", 0), "apache-2.0": ("permissive", 0), "gpl-3.0": ("copyleft", 1),
        "llama3.1": ("restricted", 2), "gemma": ("restricted", 2), "cc-by-nc-4.0": ("noncommercial", 3),
        "other": ("custom", None),
    }

    def license_class(self, lid: str | None) -> str:
        return self.LICENSES.get((lid or "").lower(), ("unknown", None))[0]

    def more_permissive(self, child: str | None, root: str | None) -> bool:
        c = self.LICENSES.get((child or "").lower(), ("", None))[1]
        r = self.LICENSES.get((root or "").lower(), ("", None))[1]
        return c is not None and r is not None and c < r

    def register(self, area: Any) -> None:
        t = pa.table({"license": list(self.LICENSES), "class": [v[0] for v in self.LICENSES.values()],
                      "rank": pa.array([v[1] for v in self.LICENSES.values()], pa.int64())})
        area.register_arrow("reg_licenses", t)


@pytest.fixture
def reg() -> FakeRegistry:
    return FakeRegistry()


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def add_snapshot(store: Store, observed_at: str, *, synthetic: bool = False, source: str = "test") -> int:
    meta = SnapshotMeta(source=source, observed_at=ts(observed_at), synthetic=synthetic,
                        fingerprint=f"{source}-{observed_at}-{synthetic}")
    with store.transaction():
        sid = store.create_snapshot(meta, complete=True)
    return sid


def add_models(store: Store, sid: int, rows: list[dict[str, Any]]) -> None:
    """rows: id, created (YYYY-MM-DD), d30, dall, pipeline, license, params, tags, library."""
    for r in rows:
        store._exec(
            "INSERT INTO models (snapshot_id, id, id_lower, author, created_at, downloads_30d, downloads_all_time, "
            "pipeline_tag, license, params, tags, library_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [sid, r["id"], r["id"].lower(), r["id"].split("/")[0], ts(r["created"]) if r.get("created") else None,
             r.get("d30"), r.get("dall"), r.get("pipeline", "text-generation"), r.get("license"), r.get("params"),
             r.get("tags", []), r.get("library")]).fetchall()


def add_origin(store: Store, sid: int, model: str, root: str, *, weight: float = 1.0, depth: int | None = None,
               root_country: str | None = None, root_org: str | None = None, root_org_type: str | None = None,
               publisher_country: str | None = None, publisher_org: str | None = None,
               publisher_org_type: str | None = None, family: str | None = None) -> None:
    depth = (0 if model == root else 1) if depth is None else depth
    store._exec(
        "INSERT INTO origins (snapshot_id, model_id, publisher_namespace, publisher_org, publisher_country, "
        "publisher_org_type, root_id, root_org, root_country, root_org_type, weight, depth, grade, family) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'declared', ?)",
        [sid, model, model.split("/")[0], publisher_org, publisher_country, publisher_org_type, root, root_org,
         root_country, root_org_type, weight, depth, family]).fetchall()


def add_edge(store: Store, sid: int, child: str, parent: str, relation: str = "finetune") -> None:
    store._exec("INSERT INTO edges (snapshot_id, child_id, parent_id, relation, inferred, grade, evidence) "
                "VALUES (?, ?, ?, ?, FALSE, 'declared', 'card base_model')",
                [sid, child, parent, relation]).fetchall()


QWEN = dict(root_country="CN", root_org="Alibaba Qwen", root_org_type="big_tech", family="qwen")
LLAMA = dict(root_country="US", root_org="Meta", root_org_type="big_tech", family="llama")


def world(store: Store, observed_at: str = "2025-01-31") -> int:
    """One snapshot: two roots, an intermediary quant, two fine-tunes, a 50/50 merge and an unattributed model.

    d30:  Qwen/Q-7B 1000, meta-llama/L-8B 600, bart/Q-7B-GGUF 300, comm/Q-7B-ft 100, comm/L-8B-ft 50,
          comm/merge-15B 200 (roots Q-7B and L-8B, 1/2 each), solo/mystery 50 (no origins row).
    """
    sid = add_snapshot(store, observed_at)
    add_models(store, sid, [
        dict(id="Qwen/Q-7B", created="2024-09-01", d30=1000, dall=5000, license="apache-2.0", params=7_000_000_000),
        dict(id="meta-llama/L-8B", created="2024-07-01", d30=600, dall=4000, license="llama3.1", params=8_000_000_000),
        dict(id="bart/Q-7B-GGUF", created="2025-01-10", d30=300, dall=300, license="mit", tags=["gguf"]),
        dict(id="comm/Q-7B-ft", created="2025-01-05", d30=100, dall=150, license="mit"),
        dict(id="comm/L-8B-ft", created="2024-12-20", d30=50, dall=80, license="mit"),
        dict(id="comm/merge-15B", created="2025-01-20", d30=200, dall=200, license="other"),
        dict(id="solo/mystery", created="2025-01-02", d30=50, dall=60, license=None, pipeline="text-to-image"),
    ])
    pub_comm = dict(publisher_country="FR", publisher_org="Comm", publisher_org_type="community")
    add_origin(store, sid, "Qwen/Q-7B", "Qwen/Q-7B", publisher_country="CN", publisher_org="Alibaba Qwen",
               publisher_org_type="big_tech", **QWEN)
    add_origin(store, sid, "meta-llama/L-8B", "meta-llama/L-8B", publisher_country="US", publisher_org="Meta",
               publisher_org_type="big_tech", **LLAMA)
    add_origin(store, sid, "bart/Q-7B-GGUF", "Qwen/Q-7B", depth=2, publisher_org="bart",
               publisher_org_type="intermediary", **QWEN)
    add_origin(store, sid, "comm/Q-7B-ft", "Qwen/Q-7B", **pub_comm, **QWEN)
    add_origin(store, sid, "comm/L-8B-ft", "meta-llama/L-8B", **pub_comm, **LLAMA)
    add_origin(store, sid, "comm/merge-15B", "Qwen/Q-7B", weight=0.5, depth=2, **pub_comm, **QWEN)
    add_origin(store, sid, "comm/merge-15B", "meta-llama/L-8B", weight=0.5, depth=1, **pub_comm, **LLAMA)
    add_edge(store, sid, "comm/Q-7B-ft", "Qwen/Q-7B", "finetune")
    add_edge(store, sid, "bart/Q-7B-GGUF", "comm/Q-7B-ft", "quantized")
    add_edge(store, sid, "comm/L-8B-ft", "meta-llama/L-8B", "finetune")
    add_edge(store, sid, "comm/merge-15B", "comm/Q-7B-ft", "merge")
    add_edge(store, sid, "comm/merge-15B", "meta-llama/L-8B", "merge")
    return sid


def by_key(rows: list[dict[str, Any]], key: str) -> dict[Any, dict[str, Any]]:
    return {r[key]: r for r in rows}


class Builders:
    """The helpers above, handed to tests through the ``b`` fixture (conftest modules are not importable)."""

    ts = staticmethod(ts)
    add_snapshot = staticmethod(add_snapshot)
    add_models = staticmethod(add_models)
    add_origin = staticmethod(add_origin)
    add_edge = staticmethod(add_edge)
    world = staticmethod(world)
    by_key = staticmethod(by_key)
    QWEN = QWEN
    LLAMA = LLAMA


@pytest.fixture
def b() -> type[Builders]:
    return Builders
