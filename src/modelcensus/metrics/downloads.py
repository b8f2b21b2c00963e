"""Download metrics: one snapshot's 30-day or all-time counts, cumulative levels and monthly flows by group.

Download-counting quirks (methods.md §3.3) apply to all of them: a "download" is a GET/HEAD of a
query file (config.json ...), every GGUF file counts, CI re-fetches inflate small models, and the
Hub's ``downloads`` is a trailing 30-day window, not a calendar month.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from modelcensus.errors import InputError
from modelcensus.metrics.groups import GroupKey
from modelcensus.metrics.queries import store_queries
from modelcensus.metrics.scope import Scope
from modelcensus.metrics.series import build_panel, month_fractions, series_notes

FIELDS = {"downloads_30d": "d30", "downloads_all_time": "dall"}
QUIRKS = ("downloads count GET/HEAD requests of query files (config.json etc.); every GGUF file counts; CI "
          "pulls inflate small models (methods.md §3.3)")


def field_column(field: str | None, default: str = "downloads_30d") -> tuple[str, str]:
    """(field name, mc_m column) or InputError listing the fields."""
    f = field or default
    if f not in FIELDS:
        raise InputError(f"field {f!r}: expected one of {', '.join(FIELDS)}")
    return f, FIELDS[f]


def downloads_by_group(scope: Scope, key: GroupKey, field: str | None) -> tuple[str, list[dict[str, Any]], list[str]]:
    """Σ credit × downloads per group, with the share of the total: the query file ``metric_downloads``.

    Every credit row of the scope is one point (snapshot 0): one snapshot, or a census as of a date whose
    rows come from several snapshots, as before."""
    fname, col = field_column(field)
    with store_queries(scope.store) as q:
        q.define("credit", "SELECT 0 AS snapshot_id, grp, w, d30, dall FROM mc_credit")
        q.run(["metric_downloads"], {"snapshot": 0, "field": col})
        rows = grp_as(q.rows("SELECT grp, downloads, models, share FROM metric_downloads "
                             "ORDER BY round(downloads, 6) DESC, grp NULLS LAST"), key.name)
        missing = q.rows(f"SELECT count(*) FILTER (WHERE {col} IS NULL) AS missing, count(*) AS n FROM mc_m")[0]
    return fname, rows, [key.note, *downloads_notes(fname, int(missing["missing"]), int(missing["n"]), bool(rows))]


def downloads_notes(fname: str, missing: int, models: int, any_rows: bool) -> list[str]:
    """The notes of ``downloads`` but the key's, on a store and on a ``--snapshots`` folder alike."""
    notes = [QUIRKS]
    if fname == "downloads_30d":
        notes.append("downloads_30d is the Hub's trailing 30-day window at the snapshot time, not a calendar month")
    if missing:
        notes.append(f"{missing} of {models} model(s) have no {fname} value and count as 0")
    if not any_rows:
        notes.append("no model of the population in this snapshot")
    return notes


def cumulative_by_group(scope: Scope, key: GroupKey) -> tuple[list[dict[str, Any]], list[str]]:
    """Per snapshot and group: Σ credit × all-time level (deleted models keep their last level): the query
    file ``metric_downloads_cumulative`` over the panel."""
    with store_queries(scope.store) as q:
        counts = build_panel(q, scope)
        q.define("credit", _SERIES_CREDIT)
        q.run(["metric_downloads_cumulative"])
        rows = grp_as(q.rows("SELECT snapshot, observed_at, grp, downloads, models, share FROM "
                             "metric_downloads_cumulative ORDER BY k, round(downloads, 6) DESC, grp NULLS LAST"),
                      key.name)
    return rows, [key.note, *series_notes(counts, len(scope.snapshots)), QUIRKS]


def check_gaps(gaps: str) -> None:
    """How a multi-month gap's delta is booked: spread or assign (InputError otherwise)."""
    if gaps not in ("spread", "assign"):
        raise InputError(f"gaps {gaps!r}: expected spread or assign")


def monthly_by_group(scope: Scope, key: GroupKey, gaps: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Calendar-month flows of all-time downloads per group, from snapshot deltas: the query file
    ``metric_downloads_monthly`` over the panel's flows and :func:`month_fractions`."""
    check_gaps(gaps)
    fracs = month_fractions(scope.snapshots, gaps)
    with store_queries(scope.store) as q:
        counts = build_panel(q, scope)
        notes = [key.note, *series_notes(counts, len(scope.snapshots))]
        if gaps == "spread":
            notes.append("gaps between snapshots: each interval's delta is spread uniformly over its days and split "
                         "across calendar months by overlap (methods.md §3.5)")
        else:
            notes.append("gaps between snapshots: each interval's delta is assigned whole to the month holding the "
                         "interval's end (the later snapshot)")
        if not fracs:
            notes.append("one snapshot only: levels, no flows; monthly rows are empty")
            return [], notes
        q.make("month_fractions", month_fractions_sql(fracs))
        q.define("credit", _SERIES_CREDIT)
        q.run(["metric_downloads_monthly"])
        rows = grp_as(q.rows("SELECT month, grp, downloads, share FROM metric_downloads_monthly "
                             "ORDER BY month, round(downloads, 6) DESC, grp NULLS LAST"), key.name)
    first, last = scope.snapshots[0].observed_at, scope.snapshots[-1].observed_at
    notes.append(f"months covered from {first:%Y-%m-%d} to {last:%Y-%m-%d}; the first and last month may be "
                 "partial")
    notes.append(QUIRKS)
    return rows, notes


# the series metrics join credit to the panel per (snapshot, model): the scope's credit as it is
_SERIES_CREDIT = "SELECT snapshot_id, model_id, grp, w FROM mc_credit"


def grp_as(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The query files call the group column ``grp``; results name it by the key."""
    for r in rows:
        if "grp" in r:
            r[key] = r.pop("grp")
    return rows


def month_fractions_sql(fracs: list[tuple[int, str, float]]) -> str:
    """``month_fractions`` as a VALUES query for the store path (no Arrow: see queries.snapshot_index_sql);
    repr() round-trips each float exactly."""
    rows = ", ".join(f"({k}, '{m}', CAST({f!r} AS DOUBLE))" for k, m, f in fracs)
    return f"SELECT * FROM (VALUES {rows}) v(k, month, frac)"


def month_fraction_table(fracs: list[tuple[int, str, float]]) -> pa.Table:
    """``month_fractions(k, month, frac)``, the input metric_downloads_monthly.sql reads (--snapshots)."""
    return pa.table({"k": pa.array([f[0] for f in fracs], pa.int64()), "month": [f[1] for f in fracs],
                     "frac": pa.array([f[2] for f in fracs], pa.float64())})
