"""HHI, Gini and CR-k: one group, equal groups, unequal groups, unknown group, series."""

from __future__ import annotations

import pytest

from modelcensus.metrics import compute_metric


def orgs(store, b, day, values, unknown=0):
    sid = b.add_snapshot(store, day)
    rows = [dict(id=f"{org}/m", created="2024-01-01", d30=v) for org, v in values.items()]
    if unknown:
        rows.append(dict(id="anon/m", created="2024-01-01", d30=unknown))
    b.add_models(store, sid, rows)
    for org in values:
        b.add_origin(store, sid, f"{org}/m", f"{org}/m", root_org=org, root_country="US")
    return sid


def test_single_group(store, reg, b):
    orgs(store, b, "2025-01-01", {"solo": 500})
    row = compute_metric(store, "concentration", by="org", registry=reg, ensure=False).rows[0]
    assert (row["groups"], row["hhi"], row["gini"], row["cr1"]) == (1, 1, 0, 1)


def test_equal_groups(store, reg, b):
    orgs(store, b, "2025-01-01", {"a": 100, "b": 100, "c": 100, "d": 100})
    row = compute_metric(store, "concentration", by="org", k="1,2", registry=reg, ensure=False).rows[0]
    assert row["hhi"] == pytest.approx(0.25)
    assert row["gini"] == pytest.approx(0)
    assert row["cr1"] == pytest.approx(0.25) and row["cr2"] == pytest.approx(0.5)


def test_unequal_groups_and_unknown_excluded_by_default(store, reg, b):
    orgs(store, b, "2025-01-01", {"a": 10, "b": 30, "c": 60}, unknown=100)
    res = compute_metric(store, "concentration", by="org", k="1,2", registry=reg, ensure=False)
    row = res.rows[0]
    # shares .1, .3, .6: HHI = .01 + .09 + .36; Gini = 2(1·10 + 2·30 + 3·60)/(3·100) − 4/3 = 0.3333...
    assert row["hhi"] == pytest.approx(0.46)
    assert row["gini"] == pytest.approx(2 * 250 / 300 - 4 / 3)
    assert row["cr1"] == pytest.approx(0.6) and row["cr2"] == pytest.approx(0.9)
    assert row["unknown_share"] == pytest.approx(0.5)
    assert row["total"] == 100
    inc = compute_metric(store, "concentration", by="org", include_unknown=True, registry=reg, ensure=False).rows[0]
    assert inc["groups"] == 4 and inc["total"] == 200
    assert inc["hhi"] == pytest.approx(0.05 ** 2 + 0.15 ** 2 + 0.3 ** 2 + 0.5 ** 2)


def test_series_gives_one_row_per_snapshot_and_empty_snapshot_has_no_index(store, reg, b):
    orgs(store, b, "2025-01-01", {"a": 100, "b": 100})
    orgs(store, b, "2025-02-01", {"a": 300, "b": 100})
    b.add_snapshot(store, "2025-03-01")     # empty snapshot
    res = compute_metric(store, "concentration", by="org", series=True, registry=reg, ensure=False)
    assert [r["observed_at"] for r in res.rows] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert res.rows[0]["hhi"] == pytest.approx(0.5)
    assert res.rows[1]["hhi"] == pytest.approx(0.75 ** 2 + 0.25 ** 2)
    assert res.rows[2]["groups"] == 0 and res.rows[2]["hhi"] is None


def test_merge_weights_enter_concentration(store, reg, b):
    b.world(store)
    row = compute_metric(store, "concentration", by="root_country", registry=reg, ensure=False).rows[0]
    # CN 1500, US 750 (unknown 50 excluded)
    assert row["hhi"] == pytest.approx((2 / 3) ** 2 + (1 / 3) ** 2)
