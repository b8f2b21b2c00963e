"""Censuses as of a date, comparability of series points, coverage and warnings (issue 8, docs/census.md).

The store is built by hand; every expected figure below is worked out from these rows:

    F1 full    2025-01-31  a/m 100 (US), b/m 200 (CN), c/m 300 (CN)
    P1 partial 2025-02-10  author=b: b/m 1000
    F2 full    2025-02-28  a/m 110, c/m 310                (b/m deleted)
    P2 partial 2025-03-05  author=c: C/M 500 (case differs), d/m 50 (new, FR)
    P0 partial 2024-12-01  author=e: e/m 999                (old)
"""

from __future__ import annotations

import pytest

from modelcensus.errors import InputError
from modelcensus.metrics import compute_metric
from modelcensus.metrics.census import census_points, comparability, parse_as_of, plan_census
from modelcensus.store import Store

COUNTRY = {"a/m": "US", "b/m": "CN", "c/m": "CN", "d/m": "FR", "e/m": "DE"}


def _snap(store: Store, b, when: str, scope: str, flt: dict | None, rows: list[tuple[str, int]]) -> int:  # noqa: ANN001
    sid = b.add_snapshot(store, when, source=f"s-{when}")
    store.set_scope(sid, scope, flt)
    b.add_models(store, sid, [dict(id=i, d30=d, created="2024-01-01", library="transformers" if i != "d/m" else
                                   "gguf", pipeline="text-generation" if i != "a/m" else "text-to-image")
                              for i, d in rows])
    for i, _ in rows:
        b.add_origin(store, sid, i, i, root_country=COUNTRY[i.lower()])
    return sid


@pytest.fixture
def hub(store: Store, b) -> dict[str, int]:  # noqa: ANN001
    return {
        "P0": _snap(store, b, "2024-12-01", "partial", {"author": "e"}, [("e/m", 999)]),
        "F1": _snap(store, b, "2025-01-31", "full", None, [("a/m", 100), ("b/m", 200), ("c/m", 300)]),
        "P1": _snap(store, b, "2025-02-10", "partial", {"author": "b"}, [("b/m", 1000)]),
        "F2": _snap(store, b, "2025-02-28", "full", None, [("a/m", 110), ("c/m", 310)]),
        "P2": _snap(store, b, "2025-03-05", "partial", {"author": "c"}, [("C/M", 500), ("d/m", 50)]),
    }


def _shares(res) -> dict:  # noqa: ANN001
    return {r["root_country"]: r["downloads"] for r in res.rows}


def test_partial_refreshes_the_backbone(store: Store, hub: dict[str, int]) -> None:
    res = compute_metric(store, "downloads", by="root_country", as_of="2025-02-15", ensure=False)
    assert _shares(res) == {"CN": 1300, "US": 100}  # b/m from P1 (1000), c/m from F1 (300)
    assert res.census["backbone"] == hub["F1"] and res.census["snapshots"] == [hub["F1"], hub["P1"]]
    per = {p["snapshot"]: p["models"] for p in res.coverage["per_snapshot"]}
    assert per == {hub["F1"]: 2, hub["P1"]: 1}  # each row keeps the snapshot (and date) it was observed in
    assert res.coverage["models"] == 3 and res.coverage["full_backbone"] is True
    assert res.coverage["observed"]["oldest"].startswith("2025-01-31")
    assert res.warnings == []


def test_model_absent_from_a_later_full_snapshot_is_gone(store: Store, hub: dict[str, int]) -> None:
    res = compute_metric(store, "downloads", by="root_country", as_of="2025-03-10", ensure=False)
    # b/m is absent from F2: its P1 observation no longer counts; C/M (P2) refreshes c/m case-insensitively
    assert _shares(res) == {"CN": 500, "US": 110, "FR": 50}
    assert res.coverage["models"] == 3
    assert res.census["excluded"]["superseded_by_full"] == [hub["F1"], hub["P1"]]


def test_snapshot_date_is_an_as_of_census(store: Store, hub: dict[str, int]) -> None:
    a = compute_metric(store, "downloads", by="root_country", snapshot="2025-03-10", ensure=False).to_json()
    b = compute_metric(store, "downloads", by="root_country", as_of="2025-03-10", ensure=False).to_json()
    assert a["rows"] == b["rows"] and a["census"] == b["census"]
    # a date means the end of that day: F2 (observed 2025-02-28 00:00) is the backbone as of 2025-02-28
    assert plan_census(store, "2025-02-28").backbone.id == hub["F2"]
    assert parse_as_of("2025-02").isoformat().startswith("2025-02-28T23:59:59")
    with pytest.raises(InputError, match="give one"):
        compute_metric(store, "downloads", as_of="2025-03-10", snapshot=hub["F2"], ensure=False)
    with pytest.raises(InputError, match="--snapshot"):
        compute_metric(store, "downloads", snapshot="2025-13-01", ensure=False)


def test_max_age_bounds_the_window(store: Store, hub: dict[str, int]) -> None:
    with pytest.raises(InputError, match="no snapshot observed in the 45 days"):
        compute_metric(store, "downloads", by="root_country", as_of="2025-01-15", ensure=False)
    res = compute_metric(store, "downloads", by="root_country", as_of="2025-01-15", max_age=60, ensure=False)
    assert _shares(res) == {"DE": 999}
    codes = [w["code"] for w in res.warnings]
    assert "no_full_backbone" in codes and "stale_observations" in codes
    assert res.coverage["observed"]["age_days"]["max"] == pytest.approx(46.0, abs=0.01)  # Dec 1 00:00 to Jan 15 24:00
    with pytest.raises(InputError, match="--max-age"):
        compute_metric(store, "downloads", as_of="2025-03-10", max_age=0, ensure=False)
    # review14 R14-7: the library read max_age with int(), so '1_0' was 10 days (the CLI had been made strict)
    for text in ("1_0", "+60", "\u0666\u0660"):
        with pytest.raises(InputError, match=r"--max-age .*expected a whole number of days"):
            compute_metric(store, "downloads", by="root_country", as_of="2025-01-15", max_age=text, ensure=False)
    assert compute_metric(store, "downloads", by="root_country", as_of="2025-01-15", max_age="60",
                          ensure=False).rows == res.rows


def test_series_metrics_refuse_as_of(store: Store, hub: dict[str, int]) -> None:
    with pytest.raises(InputError, match="does not take --as-of"):
        compute_metric(store, "downloads_cumulative", as_of="2025-03-10", ensure=False)


def test_concentration_over_a_census_is_one_point(store: Store, hub: dict[str, int]) -> None:
    res = compute_metric(store, "concentration", by="root_country", as_of="2025-03-10", ensure=False)
    assert len(res.rows) == 1
    row = res.rows[0]
    assert row["groups"] == 3 and row["total"] == 660
    assert row["hhi"] == pytest.approx((500 / 660) ** 2 + (110 / 660) ** 2 + (50 / 660) ** 2)


def test_filters_pipeline_tag_and_library(store: Store, hub: dict[str, int]) -> None:
    res = compute_metric(store, "downloads", by="root_country", as_of="2025-03-10", ensure=False,
                         pipeline_tags=["text-generation"])
    assert _shares(res) == {"CN": 500, "FR": 50}  # a/m is text-to-image
    res = compute_metric(store, "downloads", by="root_country", as_of="2025-03-10", ensure=False,
                         pipeline_tags=["text-generation"], libraries=["transformers"])
    assert _shares(res) == {"CN": 500}
    assert res.coverage["filters"] == {"pipeline_tag": ["text-generation"], "library": ["transformers"]}
    with pytest.raises(InputError, match="--library"):
        compute_metric(store, "downloads", ensure=False, libraries=["x\ny"])


def test_population_coverage_n_of_m(store: Store, hub: dict[str, int]) -> None:
    store._exec("INSERT INTO populations VALUES ('tracked', 'A/M', NULL, 'x', now()), "
                "('tracked', 'z/absent', NULL, 'x', now()), ('tracked', 'y/absent', NULL, 'x', now())").fetchall()
    res = compute_metric(store, "downloads", by="root_country", population="tracked", snapshot=hub["F2"],
                         ensure=False)
    pop = res.coverage["population"]
    assert (pop["present"], pop["size"], pop["downloads_30d_present"]) == (1, 3, 110)
    assert pop["text"] == "1 of 3 population models present"
    assert [w["code"] for w in res.warnings] == ["population_low"]
    assert "only 1 of 3 tracked models" in res.warnings[0]["message"]
    doc = res.to_json()
    assert doc["coverage"]["population"]["present"] == 1 and doc["warnings"][0]["code"] == "population_low"


def test_partial_only_warns(store: Store, hub: dict[str, int]) -> None:
    res = compute_metric(store, "downloads", by="root_country", snapshot=hub["P2"], ensure=False)
    assert [w["code"] for w in res.warnings] == ["no_full_backbone"]
    assert "author=c" in res.warnings[0]["message"]
    assert "no full backbone" in res.coverage_line()


def test_series_trend_only_between_comparable_points(store: Store, hub: dict[str, int]) -> None:
    full = compute_metric(store, "concentration", by="root_country", ensure=False, series=True,
                          snapshots=f"{hub['F1']},{hub['F2']}")
    assert full.trend["comparable"] is True and full.trend["code"] == "comparable"
    mixed = compute_metric(store, "concentration", by="root_country", ensure=False, series=True,
                           snapshots=f"{hub['F1']},{hub['P2']}")
    assert mixed.trend["comparable"] is False and mixed.trend["code"] == "mixed_scope"
    assert "no_trend" in [w["code"] for w in mixed.warnings]
    slices = compute_metric(store, "concentration", by="root_country", ensure=False, series=True,
                            snapshots=f"{hub['P1']},{hub['P2']}")
    assert slices.trend["code"] == "different_filters"
    assert [g["points"] for g in slices.trend["groups"]] == [[hub["P1"]], [hub["P2"]]]


def test_comparability_rules(store: Store, hub: dict[str, int], b) -> None:  # noqa: ANN001
    s = {k: store.snapshot(v) for k, v in hub.items()}
    again = _snap(store, b, "2025-03-20", "partial", {"author": "c"}, [("c/m", 700)])
    assert comparability([[s["P2"]], [store.snapshot(again)]]).comparable  # the same slice on two dates
    assert comparability([[s["F1"], s["P1"]], [s["F2"], s["P2"]]]).code == "comparable"  # full backbones
    assert comparability([[s["F1"]]]).code == "single_point"
    assert comparability([]).code == "no_points"


def test_monthly_census_points(store: Store, hub: dict[str, int]) -> None:
    points, comp = census_points(store)
    # month ends Dec .. Mar; December's window holds only P0, January's F1 (+ nothing fresher)
    assert [p.as_of.strftime("%Y-%m-%d") for p in points] == ["2024-12-31", "2025-01-31", "2025-02-28",
                                                               "2025-03-31"]
    assert [p.backbone.id if p.backbone else None for p in points] == [None, hub["F1"], hub["F2"], hub["F2"]]
    assert comp.comparable is False and comp.code == "mixed_scope"
    full_points, comp = census_points(store, since="2025-01")
    assert comp.comparable and comp.signature == "full" and len(full_points) == 3


def test_cli_as_of_filters_and_footer(store: Store, hub: dict[str, int], capsys) -> None:
    from modelcensus.cli.main import run

    db = str(store.path)
    store.close()
    args = ["--db", db, "metrics", "downloads", "--by", "root_country", "-o", "ensure=false"]
    assert run([*args, "--as-of", "2025-03-10", "--pipeline-tag", "text-generation", "--library", "transformers",
                "--library", "gguf", "--format", "json"]) == 0
    doc = __import__("json").loads(capsys.readouterr().out)
    assert {r["root_country"]: r["downloads"] for r in doc["rows"]} == {"CN": 500, "FR": 50}
    assert doc["census"]["backbone"] == hub["F2"] and doc["coverage"]["filters"]["library"] == ["transformers", "gguf"]
    assert run([*args, "--snapshot", "2025-03-10", "--max-age", "6"]) == 0
    text = capsys.readouterr().out
    # 6 days back from the end of 03-10 reach P2 (03-05) only: no backbone, a partial slice
    assert "census as of 2025-03-10 (max age 6 days)" in text and "WARNING: partial snapshots only" in text
    assert run([*args, "--as-of", "2024-01-01"]) == 2
    assert "no snapshot observed" in capsys.readouterr().err


def test_the_last_day_and_month_there_are_end_at_the_last_instant() -> None:
    """Review28: --as-of 9999-12-31 and 9999-12 overflowed the date arithmetic (exit 3, HTTP 500)."""
    from datetime import UTC, datetime

    assert parse_as_of("9999-12-31") == parse_as_of("9999-12") == datetime.max.replace(tzinfo=UTC)
    assert parse_as_of("9999-11").isoformat().startswith("9999-11-30T23:59:59.999999")


def test_a_day_in_any_iso_form_ends_at_its_last_instant() -> None:
    """Review29 R29-3: 20250101 was read as the day's first instant and 2025-01-01 as its last, so a snapshot taken
    that afternoon counted with one spelling and not the other."""
    end = parse_as_of("2025-01-01")
    assert parse_as_of("20250101") == parse_as_of("2025-W01-3") == end
    assert end.isoformat().startswith("2025-01-01T23:59:59.999999")
    assert parse_as_of("2025-01-01T12:00:00Z").hour == 12  # a time is kept as given


def test_an_offset_past_the_last_instant_is_bad_input() -> None:
    """Review29 R29-2: converting to UTC overflowed (an internal error, exit 3)."""
    for text in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00"):
        with pytest.raises(InputError, match="outside years 1 to 9999 once read in UTC"):
            parse_as_of(text)
