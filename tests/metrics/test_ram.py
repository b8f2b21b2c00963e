"""RAM v2: 10th-ranked baseline per size class and age, running max, interpolation, <10 references."""

from __future__ import annotations

import pytest

from modelcensus.metrics import compute_metric


def ram_world(store, b):
    """One snapshot on 2025-03-02.

    7-9B class: o1..o10 released 2025-01-01 (60 days old) with all-time 12, 120, 180, ..., 600 (o_i = 60·i
    for i >= 2), and y released 2025-01-31 (30 days old) with 3000. Interpolating from 0 on release day:
    D_oi(a) = level·a/60, D_y(a) = 3000·a/30.
    <1B class: three models only (fewer than 10 references).
    """
    sid = b.add_snapshot(store, "2025-03-02")
    rows = [dict(id="o/o1", created="2025-01-01", dall=12, params=7_000_000_000)]
    rows += [dict(id=f"o/o{i}", created="2025-01-01", dall=60 * i, params=7_000_000_000) for i in range(2, 11)]
    rows += [dict(id="y/y", created="2025-01-31", dall=3000, params=8_000_000_000)]
    rows += [dict(id=f"s/s{i}", created="2025-01-01", dall=100 * i, params=500_000_000) for i in range(1, 4)]
    b.add_models(store, sid, rows)
    return sid


def test_ram_baseline_is_the_tenth_model_with_a_running_max(store, reg, b):
    ram_world(store, b)
    res = compute_metric(store, "ram", ages="7,30,60", registry=reg, ensure=False)
    got = {(r["model"], r["age_days"]): r for r in res.rows}
    # age 30: values 6, 60, 90..300, 3000 -> 10th largest = 60
    assert got[("y/y", 30)]["baseline"] == pytest.approx(60)
    assert got[("y/y", 30)]["ram"] == pytest.approx(3000 / 60)
    assert got[("y/y", 30)]["reference_models"] == 11
    # age 7: 1.4, 14, 21..70, 700 -> 10th = 14
    assert got[("o/o1", 7)]["baseline"] == pytest.approx(14)
    assert got[("o/o1", 7)]["ram"] == pytest.approx(1.4 / 14)
    # age 60: only o1..o10 are old enough; the raw 10th (12) dips, the running max keeps 60
    assert got[("o/o1", 60)]["baseline"] == pytest.approx(60)
    assert got[("o/o1", 60)]["ram"] == pytest.approx(12 / 60)
    assert got[("o/o10", 60)]["ram"] == pytest.approx(10)
    assert ("y/y", 60) not in got          # never extrapolated past its last snapshot


def test_ram_is_null_with_fewer_than_ten_references(store, reg, b):
    ram_world(store, b)
    res = compute_metric(store, "ram", ages="30", registry=reg, ensure=False)
    small = [r for r in res.rows if r["size_class"] == "<1B"]
    assert len(small) == 3
    assert all(r["ram"] is None and r["baseline"] is None and r["reference_models"] == 3 for r in small)
    assert any("fewer than 10 reference models" in n for n in res.notes)
    assert res.field == "downloads_all_time"


def test_ram_interpolates_between_snapshots_and_latest_keeps_one_row(store, reg, b):
    ram_world(store, b)
    sid2 = b.add_snapshot(store, "2025-04-01")  # 90 days after 2025-01-01, 60 after y's release
    b.add_models(store, sid2, [dict(id="y/y", created="2025-01-31", dall=4800, params=8_000_000_000)])
    res = compute_metric(store, "ram", ages="30,45,60", registry=reg, ensure=False, latest=True)
    y = [r for r in res.rows if r["model"] == "y/y"]
    assert len(y) == 1 and y[0]["age_days"] == 60
    assert y[0]["downloads"] == pytest.approx(4800)
    full = compute_metric(store, "ram", ages="45", registry=reg, ensure=False)
    y45 = next(r for r in full.rows if r["model"] == "y/y")
    assert y45["downloads"] == pytest.approx(3000 + (4800 - 3000) * 15 / 30)   # halfway from day 30 to day 60


def test_release_date_corrections_move_the_age(store, reg, b, tmp_path):
    ram_world(store, b)
    fix = tmp_path / "release_date_corrections.csv"
    fix.write_text("# comment\nmodel_id,hf_created_at,actual_release_date,notes\ny/y,2025-01-31,2025-02-10,late\n")
    res = compute_metric(store, "ram", ages="7,20,30", registry=reg, ensure=False, release_dates=str(fix))
    y = {r["age_days"]: r for r in res.rows if r["model"] == "y/y"}
    assert set(y) == {7, 20}                 # 20 days old on 2025-03-02
    assert y[20]["release_date"] == "2025-02-10"
    assert y[20]["downloads"] == pytest.approx(3000)


def test_option_files_with_glob_characters_are_read_literally(store, reg, b, tmp_path):
    """-o release_dates=fix[1].csv must read that file, not fix1.csv beside it (DuckDB globs file names)."""
    ram_world(store, b)
    (tmp_path / "fix1.csv").write_text("model_id,other\ny/y,x\n")
    fix = tmp_path / "fix[1].csv"
    fix.write_text("model_id,hf_created_at,actual_release_date,notes\ny/y,2025-01-31,2025-02-10,late\n")
    res = compute_metric(store, "ram", ages="7,20,30", registry=reg, ensure=False, release_dates=str(fix))
    assert {r["age_days"] for r in res.rows if r["model"] == "y/y"} == {7, 20}


@pytest.mark.parametrize("name", ["it's[1].csv", "x';DROP TABLE models;--.csv", "a\\b 'c'.csv"])
def test_option_files_with_quotes_in_their_path_are_read(store, reg, b, tmp_path, name):
    """The path is spliced into the SQL as a quoted literal (the engine seam binds no values): quotes in it are
    doubled, so the file is read and nothing else runs (review26 R26-4: a splice without the doubling passed
    every option-file test)."""
    ram_world(store, b)
    fix = tmp_path / name
    fix.write_text("model_id,hf_created_at,actual_release_date,notes\ny/y,2025-01-31,2025-02-10,late\n")
    res = compute_metric(store, "ram", ages="7,20,30", registry=reg, ensure=False, release_dates=str(fix))
    assert {r["age_days"] for r in res.rows if r["model"] == "y/y"} == {7, 20}
    assert store._one("SELECT count(*) FROM models")[0] > 0


def test_ages_far_from_any_observation_are_left_out(store, reg, b):
    ram_world(store, b)
    sid = b.add_snapshot(store, "2025-03-03")
    b.add_models(store, sid, [dict(id="old/x", created="2024-08-15", dall=5000, params=7_000_000_000)])
    res = compute_metric(store, "ram", ages="7,30,180", registry=reg, ensure=False)
    # released 200 days before its only observation: no straight line from day 0 across 200 days
    assert [r for r in res.rows if r["model"] == "old/x"] == []
    assert any("more than 92 days apart" in n for n in res.notes)
    loose = compute_metric(store, "ram", ages="180", registry=reg, ensure=False, max_gap=0)
    x = next(r for r in loose.rows if r["model"] == "old/x")
    assert x["downloads"] == pytest.approx(5000 * 180 / 200)


def test_limit_keeps_the_highest_ram_per_age_but_baselines_use_everyone(store, reg, b):
    ram_world(store, b)
    res = compute_metric(store, "ram", ages="30", limit=2, registry=reg, ensure=False)
    assert [(r["model"], r["ram"]) for r in res.rows] == [("y/y", pytest.approx(50)), ("o/o10", pytest.approx(5))]
    assert any("2 of 14 (model, age) rows shown" in n for n in res.notes)


def test_a_model_seen_under_several_spellings_takes_its_latest_spelling_and_sized_class(store, reg, b):
    """ram_models reads one row per id: the latest spelling, the class of the latest sighting that has one, and
    on a tie (two spellings seen on one day) the first in byte order. Ids with one spelling take a plain
    aggregate's value, ids with several the windows': both kinds are in this world."""
    s1 = b.add_snapshot(store, "2025-02-01")
    s2 = b.add_snapshot(store, "2025-03-01")
    b.add_models(store, s1, [dict(id="A/M", created="2025-01-01", dall=100, params=7_000_000_000),
                             dict(id="B/q", created="2025-01-01", dall=100, params=2_000_000_000),
                             dict(id="d/one", created="2025-01-01", dall=100, params=300_000_000)])
    b.add_models(store, s2, [dict(id="a/M", created="2025-01-01", dall=200, params=60_000_000_000),
                             dict(id="b/q", created="2025-01-01", dall=200),  # no size now: keeps 1-5B
                             dict(id="C/z", created="2025-01-01", dall=50, params=3_000_000_000),
                             dict(id="c/z", created="2025-01-01", dall=60, params=20_000_000_000),
                             dict(id="d/one", created="2025-01-01", dall=200, params=300_000_000)])
    res = compute_metric(store, "ram", ages="30", registry=reg, ensure=False, rank=1)
    got = {r["model"]: r["size_class"] for r in res.rows}
    # C/z and c/z on one day: "C/z" < "c/z"; classes "1-5B" < "10-50B" in byte order ("-" before "0")
    assert got == {"a/M": "50-100B", "b/q": "1-5B", "C/z": "1-5B", "d/one": "<1B"}


def test_a_models_own_counter_is_made_non_decreasing_and_one_day_keeps_its_largest(store, reg, b):
    """ram_obs: the Hub's all-time counter can dip; D is its running max over time, and of several snapshots on
    one day the day keeps the largest running value (here the later one dips), with D = 0 on release day."""
    rows = {"2025-01-31T08:00:00": 500, "2025-01-31T20:00:00": 400, "2025-03-02T00:00:00": 450,
            "2025-04-01T00:00:00": 900}
    for when, dall in rows.items():
        b.add_models(store, b.add_snapshot(store, when),
                     [dict(id="x/m", created="2025-01-01", dall=dall, params=7_000_000_000)])
    res = compute_metric(store, "ram", ages="15,30,45,60,75,90", registry=reg, ensure=False, rank=1)
    got = {r["age_days"]: r["downloads"] for r in res.rows}
    assert got == pytest.approx({15: 250, 30: 500, 45: 500, 60: 500, 75: 700, 90: 900})


def test_two_sightings_at_one_instant_give_the_larger_whatever_order_the_window_takes(store, reg, b):
    """Two spellings of one id in one snapshot are two sightings at the same instant (review32 R32-8): the
    window's running max and its lead() must agree on the tie, so the day keeps the larger count."""
    s1 = b.add_snapshot(store, "2025-01-31")
    b.add_models(store, s1, [dict(id="A/x", created="2025-01-01", dall=900, params=7_000_000_000),
                             dict(id="a/x", created="2025-01-01", dall=100, params=7_000_000_000)])
    s2 = b.add_snapshot(store, "2025-03-02")
    b.add_models(store, s2, [dict(id="a/x", created="2025-01-01", dall=300, params=7_000_000_000),
                             dict(id="A/x", created="2025-01-01", dall=200, params=7_000_000_000)])
    res = compute_metric(store, "ram", ages="30,45,60", registry=reg, ensure=False, rank=1)
    got = {r["age_days"]: r["downloads"] for r in res.rows}
    assert got == pytest.approx({30: 900, 45: 900, 60: 900})
