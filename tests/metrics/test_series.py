"""Cumulative levels and monthly flows across snapshots: gaps, resets, deletions, first snapshot = level."""

from __future__ import annotations

import pytest

from modelcensus.metrics import compute_metric

CN = dict(root_country="CN", root_org="A", family="fa")
US = dict(root_country="US", root_org="B", family="fb")


def series(store, b):
    """Three snapshots at 1 Jan, 1 Feb and 1 Apr 2025 (the last interval spans February and March).

    a/A (CN) 100 -> 160 -> 400; b/B (US) 50 -> 40 (reset) -> 100; c/C (US) 30, then deleted;
    d/D (CN) created 10 Jan, first seen 1 Feb at 20, then 50; e/E (US) created 2024, first seen 1 Apr at 500
    (history only); m/M merge of A and B (1/2 each) 10 -> 30 -> 30.
    """
    levels = {
        "2025-01-01": {"a/A": 100, "b/B": 50, "c/C": 30, "m/M": 10},
        "2025-02-01": {"a/A": 160, "b/B": 40, "d/D": 20, "m/M": 30},
        "2025-04-01": {"a/A": 400, "b/B": 100, "d/D": 50, "e/E": 500, "m/M": 30},
    }
    created = {"a/A": "2024-05-01", "b/B": "2024-05-01", "c/C": "2024-05-01", "d/D": "2025-01-10",
               "e/E": "2024-06-01", "m/M": "2024-12-01"}
    sids = []
    for day, lv in levels.items():
        sid = b.add_snapshot(store, day)
        sids.append(sid)
        b.add_models(store, sid, [dict(id=m, created=created[m], d30=1, dall=v) for m, v in lv.items()])
        for m in lv:
            if m == "m/M":
                b.add_origin(store, sid, m, "a/A", weight=0.5, **CN)
                b.add_origin(store, sid, m, "b/B", weight=0.5, **US)
            else:
                b.add_origin(store, sid, m, m, **(CN if m in ("a/A", "d/D") else US))
    return sids


def test_cumulative_carries_deleted_levels_forward(store, reg, b):
    series(store, b)
    res = compute_metric(store, "downloads_cumulative", by="root_country", registry=reg, ensure=False)
    got = {(r["observed_at"], r["root_country"]): r["downloads"] for r in res.rows}
    assert got == {
        ("2025-01-01", "CN"): 105, ("2025-01-01", "US"): 85,       # 100 + 5 | 50 + 30 + 5
        ("2025-02-01", "CN"): 195, ("2025-02-01", "US"): 85,       # 160 + 20 + 15 | 40 + 30 (carried) + 15
        ("2025-04-01", "CN"): 465, ("2025-04-01", "US"): 645,      # 400 + 50 + 15 | 100 + 30 + 500 + 15
    }
    shares = {(r["observed_at"], r["root_country"]): r["share"] for r in res.to_json()["rows"]}
    assert shares[("2025-04-01", "CN")] == pytest.approx(465 / 1110)
    assert len(res.snapshots) == 3


def test_monthly_flows_spread_gaps_and_clip_resets(store, reg, b):
    series(store, b)
    res = compute_metric(store, "downloads_monthly", by="root_country", registry=reg, ensure=False)
    got = {(r["month"], r["root_country"]): r["downloads"] for r in res.rows}
    # January (1 Jan -> 1 Feb): A 60, D 20 (born inside), M 20 (10/10); B's drop 50 -> 40 counts 0
    assert got[("2025-01", "CN")] == pytest.approx(90)
    assert got[("2025-01", "US")] == pytest.approx(10)
    # 1 Feb -> 1 Apr (59 days): CN 240 + 30 = 270, US 60; E is history only; split 28/59 and 31/59
    assert got[("2025-02", "CN")] == pytest.approx(270 * 28 / 59)
    assert got[("2025-03", "CN")] == pytest.approx(270 * 31 / 59)
    assert got[("2025-03", "US")] == pytest.approx(60 * 31 / 59)
    assert all(r["downloads"] >= 0 for r in res.rows)
    notes = " ".join(res.notes)
    assert "1 negative all-time delta" in notes and "b/B" in notes
    assert "1 model(s) absent from later snapshots" in notes
    assert "1 model(s) first seen after the first snapshot" in notes
    assert "spread uniformly" in notes


def test_monthly_assign_books_the_gap_in_its_last_month(store, reg, b):
    series(store, b)
    res = compute_metric(store, "downloads_monthly", by="root_country", registry=reg, ensure=False, gaps="assign")
    got = {(r["month"], r["root_country"]): r["downloads"] for r in res.rows}
    assert got == {("2025-01", "CN"): 90, ("2025-01", "US"): 10, ("2025-03", "CN"): 270, ("2025-03", "US"): 60}
    assert "assigned whole" in " ".join(res.notes)


def test_one_snapshot_is_a_level_not_a_flow(store, reg, b):
    sids = series(store, b)
    res = compute_metric(store, "downloads_monthly", by="root_country", registry=reg, ensure=False,
                         snapshots=[sids[0]])
    assert res.rows == []
    assert any("one snapshot only" in n for n in res.notes)
    cum = compute_metric(store, "downloads_cumulative", by="root_country", registry=reg, ensure=False,
                         snapshots=[sids[0]])
    assert {r["root_country"]: r["downloads"] for r in cum.rows} == {"CN": 105, "US": 85}


def test_since_starts_the_series_later(store, reg, b):
    series(store, b)
    res = compute_metric(store, "downloads_monthly", by="root_country", since="2025-02-01", registry=reg,
                         ensure=False, gaps="assign")
    # the series starts at 1 Feb: that level is not a flow; D is seen from the start; E history only
    assert {(r["month"], r["root_country"]): r["downloads"] for r in res.rows} == {
        ("2025-03", "CN"): 270, ("2025-03", "US"): 60}


def test_coexisting_spellings_are_separate_repos_and_a_case_rename_continues(store, reg, b):
    """x/Ab and x/AB coexist (two repos): each keeps its own flows, repeatably. y/Q -> y/q is a case-only
    rename: one series, its growth is a flow (not a new model with history)."""
    levels = {
        "2025-01-01": {"x/Ab": 10, "x/AB": 1000, "y/Q": 5},
        "2025-02-01": {"x/Ab": 30, "x/AB": 1100, "y/q": 45},
    }
    for day, lv in levels.items():
        sid = b.add_snapshot(store, day)
        b.add_models(store, sid, [dict(id=m, created="2024-05-01", d30=1, dall=v) for m, v in lv.items()])
        for m in lv:
            b.add_origin(store, sid, m, m, **(CN if m.startswith("x/") else US))
    for _ in range(3):  # the old ASOF join picked one of the two spellings arbitrarily
        res = compute_metric(store, "downloads_monthly", by="root_country", registry=reg, ensure=False)
        got = {(r["month"], r["root_country"]): r["downloads"] for r in res.rows}
        assert got == {("2025-01", "CN"): pytest.approx(120), ("2025-01", "US"): pytest.approx(40)}
        assert not any("negative" in n or "history" in n for n in res.notes)
    cum = compute_metric(store, "downloads_cumulative", by="root_country", registry=reg, ensure=False)
    assert {(r["observed_at"], r["root_country"]): r["downloads"] for r in cum.rows} == {
        ("2025-01-01", "CN"): 1010, ("2025-01-01", "US"): 5, ("2025-02-01", "CN"): 1130, ("2025-02-01", "US"): 45}
