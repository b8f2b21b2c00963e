"""shared_work: metric calls that reuse one download panel and credit base give the numbers they give alone."""

from __future__ import annotations

import pytest

from modelcensus.metrics import compute_metric, shared_work

CN = dict(root_country="CN", root_org="A", family="fa", publisher_country="US")
US = dict(root_country="US", root_org="B", family="fb", publisher_country="CN")

# (name, options): series metrics over two snapshot sets and two populations, single-snapshot metrics
# in between, so the shared panel and bases are rebuilt when (snapshots, population, since) change
CALLS = [
    ("downloads_monthly", dict(by="root_country")),
    ("downloads", dict(by="root_country", field="downloads_30d")),
    ("downloads_monthly", dict(by="publisher_country")),
    ("downloads_cumulative", dict(by="org")),
    ("concentration", dict(by="org", series=True)),
    ("concentration", dict(by="family", series=True)),
    ("concentration", dict(by="root_region", series=True, include_unknown=True)),
    ("downloads_monthly", dict(by="root_country", population="llm")),
    ("downloads_monthly", dict(by="root_country", since="2025-02-01")),
    ("downloads_monthly", dict(by="size_class")),
    ("ram", dict(latest=True, ages="7,30,60")),
    ("licences", dict(by="root_country")),
    # the report's two drift calls share licence_drift_rows; another key or population must not reuse them
    ("licence_drift", dict(by="family")),
    ("licence_drift", dict(by="family", pairs=True)),
    ("licence_drift", dict(by="root_country", pairs=True)),
    ("licence_drift", dict(by="root_country")),
    ("licence_drift", dict(by="family", population="llm", pairs=True)),
    ("downloads_monthly", dict(by="root_country")),
    # the report's two derivative shares share the relations table (mc_rel); relation as a key reads it too
    ("derivative_share", dict(by="family")),
    ("derivative_share", dict(by="root_country")),
    ("derivatives", dict(by="relation", credit="parent")),
    ("downloads", dict(by="relation")),
]


def _series(store, b):
    levels = {
        "2025-01-01": {"a/A": 100, "b/B": 50, "c/C": 30, "m/M": 10},
        "2025-02-01": {"a/A": 160, "b/B": 40, "d/D-7b": 20, "m/M": 30},
        "2025-04-01": {"a/A": 400, "b/B": 100, "d/D-7b": 50, "e/E": 500, "m/M": 30},
    }
    created = {"a/A": "2024-12-20", "b/B": "2024-12-25", "c/C": "2024-05-01", "d/D-7b": "2025-01-10",
               "e/E": "2024-06-01", "m/M": "2024-12-01"}
    for day, lv in levels.items():
        sid = b.add_snapshot(store, day)
        b.add_models(store, sid, [dict(id=m, created=created[m], d30=v // 10, dall=v,
                                       pipeline="text-generation" if m != "e/E" else "text-to-image",
                                       license="gpl-3.0" if m == "a/A" else "mit")
                                  for m, v in lv.items()])
        for m in lv:
            if m == "m/M":
                b.add_origin(store, sid, m, "a/A", weight=0.5, **CN)
                b.add_origin(store, sid, m, "b/B", weight=0.5, **US)
            else:
                b.add_origin(store, sid, m, m, **(CN if m in ("a/A", "d/D-7b") else US))


def _temps(store) -> set[str]:
    """Every TEMP table and view on the store's connection (the scope's mc_* and the query files' tables)."""
    rows = store._exec("SELECT table_name FROM duckdb_tables() WHERE temporary AND NOT internal "
                       "UNION ALL SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal").fetchall()
    return {r[0] for r in rows}


def test_shared_work_gives_the_same_numbers_and_cleans_up(store, reg, b):
    _series(store, b)
    alone = [compute_metric(store, n, registry=reg, ensure=False, **kw).to_json() for n, kw in CALLS]
    assert any(r["rows"] for r in alone)
    drift = [r for (n, _), r in zip(CALLS, alone, strict=True) if n == "licence_drift"]
    assert all(r["rows"] for r in drift) and sum(r["rows"][0]["derivatives"] for r in drift[1:]) > 0
    with shared_work(store):
        shared = [compute_metric(store, n, registry=reg, ensure=False, **kw).to_json() for n, kw in CALLS]
        assert any(t.startswith("mc_cb_") for t in _temps(store))  # the credit base is kept between calls
        assert {"panel", "flow"} <= _temps(store)  # the download panel (metrics/sql/panel.sql, flow.sql) too
    for (name, kw), a, s in zip(CALLS, alone, shared, strict=True):
        assert s["rows"] == a["rows"], (name, kw)
        assert s["notes"] == a["notes"], (name, kw)
    # the registry's reg_* TEMP tables (published by the licences metric: registry.register) stay on the connection
    assert {t for t in _temps(store) if not t.startswith("reg_")} == set()


DRIFT = dict(ensure=False)


def _drift(store, reg, **kw):
    return compute_metric(store, "licence_drift", registry=reg, **DRIFT, **kw).rows


def test_shared_drift_rows_follow_option_files_registry_and_population(store, reg, b, tmp_path):
    """Review16 R16-1..3, each labelled first: inside shared_work every licence_drift call gives the rows it gives
    alone when only an option file's rows, the registry's licence order or a curated list's members change
    between two calls (the SQL text that signed the kept rows stayed the same: they were reused)."""
    b.world(store)
    regions = [tmp_path / "regions_a.csv", tmp_path / "regions_b.csv"]
    regions[0].write_text("hf_org,region\ncomm,eu\nbart,us\n")
    regions[1].write_text("hf_org,region\ncomm,china\nbart,china\n")
    params = [tmp_path / "params_a.csv", tmp_path / "params_b.csv"]
    for p, scale in zip(params, (1, 10), strict=True):
        p.write_text("model_id,total_params_b\n" + "".join(f"{m},{v * scale}\n" for m, v in (
            ("comm/Q-7B-ft", 7), ("comm/L-8B-ft", 8), ("bart/Q-7B-GGUF", 7), ("comm/merge-15B", 15))))

    class Strict(type(reg)):  # mit and apache as restrictive as llama3.1: nothing drifts to mit
        LICENSES = {**type(reg).LICENSES, "mit": ("restricted", 2), "apache-2.0": ("restricted", 2)}

    strict = Strict()
    cases = [(dict(by="namespace_region", regions=str(regions[0])),
              dict(by="namespace_region", regions=str(regions[1])), reg),
             (dict(by="size_class", parameters=str(params[0])), dict(by="size_class", parameters=str(params[1])), reg),
             (dict(by="family"), dict(by="family"), strict)]
    for first, second, second_reg in cases:
        alone = _drift(store, second_reg, **second)
        assert alone != _drift(store, reg, **first), (first, second)  # the two calls differ alone
        with shared_work(store):
            _drift(store, reg, **first)
            assert _drift(store, second_reg, **second) == alone, (first, second)
    # one registry object changed in place between two calls
    moving = type(reg)()
    with shared_work(store):
        _drift(store, moving, by="family")
        moving.LICENSES = Strict.LICENSES
        assert _drift(store, moving, by="family") == _drift(store, strict, by="family")
    # a curated list re-imported with other members
    def put(ids):
        store._exec("DELETE FROM populations WHERE name = 'mine'").fetchall()
        for m in ids:
            store._exec("INSERT INTO populations VALUES ('mine', ?, NULL, 'x.csv', now())", [m]).fetchall()

    with shared_work(store):
        put(["comm/Q-7B-ft", "Qwen/Q-7B"])
        first_rows = _drift(store, reg, by="family", population="mine")
        put(["comm/L-8B-ft", "comm/merge-15B", "meta-llama/L-8B"])
        second_rows = _drift(store, reg, by="family", population="mine")
    assert second_rows != first_rows
    assert second_rows == _drift(store, reg, by="family", population="mine")


def test_the_reports_two_drift_calls_make_the_rows_once_and_a_failure_forgets_them(store, reg, b, monkeypatch):
    """The report's drift by family and its licence pairs build licence_drift_rows once (the point of sharing);
    a call that fails after replacing them leaves nothing stale behind (review16 R16-4: the next call was told the
    dropped table was there)."""
    from modelcensus.store.engine import Scratch

    b.world(store)
    made: list[str] = []
    fail = {"on": False}
    real = Scratch.materialise

    def materialise(self, name, sql):
        made.append(name)
        if fail["on"] and name == "metric_licence_drift":
            fail["on"] = False
            raise KeyboardInterrupt("interrupted")
        return real(self, name, sql)

    monkeypatch.setattr(Scratch, "materialise", materialise)
    alone = _drift(store, reg, by="family", pairs=True)
    with shared_work(store):
        _drift(store, reg, by="family")
        assert _drift(store, reg, by="family", pairs=True) == alone
        assert made.count("licence_drift_rows") == 2  # once alone, once for the two calls in the block
        fail["on"] = True
        with pytest.raises(KeyboardInterrupt):
            _drift(store, reg, by="root_country")
        assert _drift(store, reg, by="family", pairs=True) == alone


def test_lineage_built_inside_the_block_replaces_what_was_kept(tmp_path):
    """Review16 R16-3, labelled first: a drift call with ensure=False on a store without lineage keeps empty
    rows; the same call with ensure (the default) builds the lineage, and must read it, not the kept rows. The
    credit base of downloads by root_country likewise."""
    from modelcensus.lineage.registry import load_registry
    from modelcensus.sources.synthetic import generate_hub, load_series
    from modelcensus.store import Store

    registry = load_registry()
    with Store(tmp_path / "a.duckdb") as st:
        load_series(st, generate_hub(n_models=400, seed=3, months=2))
        with shared_work(st):
            before = compute_metric(st, "licence_drift", by="family", registry=registry, ensure=False)
            credit_before = compute_metric(st, "downloads", by="root_country", registry=registry, ensure=False)
            after = compute_metric(st, "licence_drift", by="family", registry=registry)
            credit_after = compute_metric(st, "downloads", by="root_country", registry=registry)
        assert not before.rows and {r["root_country"] for r in credit_before.rows} == {None}
        assert after.rows and after.rows == compute_metric(st, "licence_drift", by="family", registry=registry).rows
        assert credit_after.rows == compute_metric(st, "downloads", by="root_country", registry=registry).rows
        assert len({r["root_country"] for r in credit_after.rows}) > 2


def test_drift_by_a_key_that_cannot_share_leaves_the_kept_rows_usable(store, reg, b):
    """Review17 R17-1, labelled first: family (kept), then relation (a key that cannot share made its own
    licence_drift_rows over the kept one), then family pairs: the last gives its rows alone, not a missing table."""
    b.world(store)
    alone = _drift(store, reg, by="family", pairs=True)
    with shared_work(store):
        _drift(store, reg, by="family")
        _drift(store, reg, by="relation")
        assert _drift(store, reg, by="family", pairs=True) == alone


def test_lineage_built_outside_make_scope_is_read(tmp_path):
    """Review17 R17-2, labelled first: lineage built inside a block by the lineage API (as the report builds its
    own) is read by the next drift and credit calls, not the rows kept before it existed."""
    from modelcensus.lineage import ensure_lineage
    from modelcensus.lineage.registry import load_registry
    from modelcensus.sources.synthetic import generate_hub, load_series
    from modelcensus.store import Store

    registry = load_registry()
    with Store(tmp_path / "a.duckdb") as st:
        load_series(st, generate_hub(n_models=400, seed=3, months=2))
        last = st.snapshots()[-1].id
        kw = dict(registry=registry, ensure=False, snapshot=last)
        with shared_work(st):
            assert not compute_metric(st, "licence_drift", by="family", **kw).rows
            compute_metric(st, "downloads", by="root_country", **kw)
            ensure_lineage(st, last, registry)
            drift = compute_metric(st, "licence_drift", by="family", **kw).rows
            credit = compute_metric(st, "downloads", by="root_country", **kw).rows
        assert drift and drift == compute_metric(st, "licence_drift", by="family", **kw).rows
        assert credit == compute_metric(st, "downloads", by="root_country", **kw).rows


def test_a_failed_replacement_leaves_no_table_behind(store, reg, b, monkeypatch):
    """Review17 R17-5, labelled first: when the statement that replaces a kept table fails, neither the old table
    nor the new one outlives the block."""
    from modelcensus.store.engine import Scratch

    b.world(store)
    real = Scratch.materialise

    def materialise(self, name, sql):
        if name == "licence_drift_rows" and fail["on"]:
            fail["on"] = False
            raise KeyboardInterrupt("interrupted")
        return real(self, name, sql)

    fail = {"on": False}
    monkeypatch.setattr(Scratch, "materialise", materialise)
    with shared_work(store):
        _drift(store, reg, by="family")
        fail["on"] = True
        with pytest.raises(KeyboardInterrupt):
            _drift(store, reg, by="root_country")
    assert {t for t in _temps(store) if not t.startswith("reg_")} == set()


def test_keys_over_the_models_row_join_no_origins_inside_a_block_either(store, reg, b):
    """review20 R20-3: inside shared_work, license and publisher went through the kept models x origins credit base
    (the other keys over the models row did not). Labelled first: they make no credit base, and give the rows they
    give alone, one row of weight 1 per model (m/M's two half-weight roots counted once)."""
    _series(store, b)
    calls = [("downloads", dict(by="license")), ("downloads_monthly", dict(by="publisher")),
             ("concentration", dict(by="license", series=True)), ("licences", dict(by="publisher"))]
    alone = [compute_metric(store, n, registry=reg, ensure=False, **kw).to_json() for n, kw in calls]
    with shared_work(store):
        shared = [compute_metric(store, n, registry=reg, ensure=False, **kw).to_json() for n, kw in calls]
        assert not any(t.startswith("mc_cb_") for t in _temps(store))
    assert shared == alone
    mit = next(r for r in alone[0]["rows"] if r["license"] == "mit")
    assert mit["models"] == 4 and isinstance(mit["models"], int | float)


def test_the_reports_derivative_shares_make_the_relations_once(store, reg, b, monkeypatch):
    """mc_rel (each child's relation, over every edge of the snapshots) is made once for the report's two
    derivative shares, read as the same rows, and made again when the lineage it reads is rebuilt."""
    from modelcensus.store.engine_duckdb import DuckDBEngine

    b.world(store)
    made: list[str] = []
    real = DuckDBEngine.materialise

    def materialise(self, name, sql):
        made.append(name)
        return real(self, name, sql)

    monkeypatch.setattr(DuckDBEngine, "materialise", materialise)
    alone = [_share(store, reg, by) for by in ("family", "root_country")]
    assert made.count("mc_rel") == 2 and alone[0]
    made.clear()
    with shared_work(store):
        assert [_share(store, reg, by) for by in ("family", "root_country")] == alone
        assert sum(n.startswith("mc_rel") for n in made) == 1
        store._exec("INSERT INTO lineage_builds (snapshot_id, built_at) SELECT id, now() FROM snapshots").fetchall()
        assert _share(store, reg, "family") == alone[0]
        assert sum(n.startswith("mc_rel") for n in made) == 2


def _share(store, reg, by):
    return compute_metric(store, "derivative_share", by=by, registry=reg, ensure=False).rows
