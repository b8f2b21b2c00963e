"""A lineage build that fails half-way leaves the previous build exactly as it was.

A failure while origins are computed (the new edges already made) or while the store swaps the new tables in
(tests/lineage/test_build_files.py) must roll back to the old edges, origins and ``lineage_builds`` row, and
leave the store usable.
"""

from __future__ import annotations

import pytest

from modelcensus.lineage import build as build_mod
from modelcensus.lineage import ensure_lineage, origin
from modelcensus.sources.synthetic import generate_hub, load_series


def _state(store, sid: int) -> tuple:
    edges = store._exec("SELECT * FROM edges WHERE snapshot_id = ? ORDER BY ALL", [sid]).fetchall()
    origins = store._exec("SELECT * FROM origins WHERE snapshot_id = ? ORDER BY ALL", [sid]).fetchall()
    builds = store._exec("SELECT * FROM lineage_builds WHERE snapshot_id = ?", [sid]).fetchall()
    return edges, origins, builds


def test_failure_mid_build_keeps_previous_edges_and_origins(store, registry, monkeypatch) -> None:
    snaps = load_series(store, generate_hub(n_models=400, seed=11, months=2))
    sid = snaps[-1].id
    first = ensure_lineage(store, sid, registry)
    before = _state(store, sid)
    assert first["built"] and len(before[0]) > 50 and len(before[1]) >= 300 and len(before[2]) == 1
    model = before[1][0][1]
    doc_before = origin(store, model, snapshot=sid, registry=registry)

    def boom(engine):  # the new edges are made when origins are computed
        assert engine.query("SELECT count(*) FROM _lin_edges_out").column(0)[0].as_py() > 0
        raise RuntimeError("disk full while writing origins")

    monkeypatch.setattr(build_mod, "_origins", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        ensure_lineage(store, sid, registry, force=True)
    assert _state(store, sid) == before
    monkeypatch.undo()
    # the store is still usable: the same answers, and a forced rebuild gives the same rows
    assert origin(store, model, snapshot=sid, registry=registry) == doc_before
    again = ensure_lineage(store, sid, registry, force=True)
    assert again["built"]
    after = _state(store, sid)
    assert after[0] == before[0] and after[1] == before[1]
