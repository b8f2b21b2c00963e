"""The Python API exposes one call per command and works end to end on a small synthetic hub."""

from __future__ import annotations

from modelcensus import api


def test_every_exported_name_resolves():
    for name in api.__all__:
        assert getattr(api, name) is not None, name


def test_notebook_flow_matches_the_cli_calls(tmp_path):
    store = api.open_store(tmp_path / "c.duckdb")
    try:
        from modelcensus.sources.synthetic import generate_hub, load_series

        snaps = load_series(store, generate_hub(n_models=400, seed=3, months=2))
        assert [s.synthetic for s in snaps] == [True, True]
        reg = api.load_registry()
        latest = store.snapshot()
        model = store.con.execute(
            "SELECT id FROM models WHERE snapshot_id = ? AND id LIKE 'Qwen/%' ORDER BY id LIMIT 1", [latest.id]
        ).fetchall()[0][0]
        doc = api.origin(store, model.lower(), registry=reg)
        assert doc["model"] == model  # case-insensitive lookup returns the stored spelling
        assert doc["synthetic"] is True
        assert abs(sum(r["weight"] for r in doc["roots"]) - 1.0) < 1e-9
        res = api.compute_metric(store, "downloads", by="root_country", registry=reg)
        shares = [r["share"] for r in res.rows if r.get("share") is not None]
        assert abs(sum(shares) - 1.0) < 1e-6
        assert res.to_json()["synthetic"] is True
    finally:
        store.close()
