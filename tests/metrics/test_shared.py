"""shared_work: metric calls that reuse one download panel and credit base give the numbers they give alone."""

from __future__ import annotations

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
    # the registry's reg_* TEMP tables (published by the licences metric: registry.to_duckdb) stay on the connection
    assert {t for t in _temps(store) if not t.startswith("reg_")} == set()
