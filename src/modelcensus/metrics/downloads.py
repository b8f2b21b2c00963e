"""Download metrics: one snapshot's 30-day or all-time counts, cumulative levels and monthly flows by group.

Download-counting quirks (methods.md §3.3) apply to all of them: a "download" is a GET/HEAD of a
query file (config.json ...), every GGUF file counts, CI re-fetches inflate small models, and the
Hub's ``downloads`` is a trailing 30-day window, not a calendar month.
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics.groups import GroupKey
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
    """Σ credit × downloads per group on one snapshot, with the share of the total."""
    fname, col = field_column(field)
    rows = scope.rows(f"""
        WITH g AS (
          SELECT c.grp, sum(c.w * coalesce(c.{col}, 0)) AS downloads, sum(c.w) AS models
          FROM mc_credit c GROUP BY c.grp)
        SELECT grp AS "{key.name}", downloads, models,
               CASE WHEN sum(downloads) OVER () > 0 THEN downloads / sum(downloads) OVER () END AS share
        FROM g ORDER BY downloads DESC, grp NULLS LAST
    """)
    missing = scope.store._one(f"SELECT count(*) FILTER (WHERE {col} IS NULL), count(*) FROM mc_m")
    notes = [key.note, QUIRKS]
    if fname == "downloads_30d":
        notes.append("downloads_30d is the Hub's trailing 30-day window at the snapshot time, not a calendar month")
    if missing and missing[0]:
        notes.append(f"{missing[0]} of {missing[1]} model(s) have no {fname} value and count as 0")
    if not rows:
        notes.append("no model of the population in this snapshot")
    return fname, rows, notes


def cumulative_by_group(scope: Scope, key: GroupKey) -> tuple[list[dict[str, Any]], list[str]]:
    """Per snapshot and group: Σ credit × all-time level (deleted models keep their last level)."""
    counts = build_panel(scope)
    rows = scope.rows(f"""
        WITH g AS (
          SELECT p.k, c.grp, sum(c.w * p.level) AS downloads, sum(c.w) AS models
          FROM mc_panel p JOIN mc_credit c ON c.snapshot_id = p.obs_sid AND c.model_id = p.model_id
          GROUP BY ALL)
        SELECT s.sid AS snapshot, CAST(s.t AS DATE) AS observed_at, g.grp AS "{key.name}", g.downloads, g.models,
               CASE WHEN sum(g.downloads) OVER (PARTITION BY g.k) > 0
                    THEN g.downloads / sum(g.downloads) OVER (PARTITION BY g.k) END AS share
        FROM g JOIN mc_snaps s USING (k)
        ORDER BY s.k, g.downloads DESC, g.grp NULLS LAST
    """)
    return rows, [key.note, *series_notes(counts, len(scope.snapshots)), QUIRKS]


def monthly_by_group(scope: Scope, key: GroupKey, gaps: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Calendar-month flows of all-time downloads per group, from snapshot deltas."""
    if gaps not in ("spread", "assign"):
        raise InputError(f"gaps {gaps!r}: expected spread or assign")
    counts = build_panel(scope)
    fracs = month_fractions(scope, gaps)
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
    values = ", ".join(f"({k}, '{m}', {f!r})" for k, m, f in fracs)
    scope.exec(f"CREATE OR REPLACE TEMP TABLE mc_frac AS SELECT * FROM (VALUES {values}) v(k, month, frac)")
    rows = scope.rows(f"""
        WITH per_interval AS (
          SELECT f.k, c.grp, sum(c.w * f.flow) AS flow
          FROM mc_flow f JOIN mc_credit c ON c.snapshot_id = f.obs_sid AND c.model_id = f.model_id
          WHERE f.flow IS NOT NULL GROUP BY ALL),
        g AS (SELECT fr.month, p.grp, sum(p.flow * fr.frac) AS downloads
              FROM per_interval p JOIN mc_frac fr USING (k) GROUP BY ALL)
        SELECT month, grp AS "{key.name}", downloads,
               CASE WHEN sum(downloads) OVER (PARTITION BY month) > 0
                    THEN downloads / sum(downloads) OVER (PARTITION BY month) END AS share
        FROM g ORDER BY month, downloads DESC, grp NULLS LAST
    """)
    first, last = scope.snapshots[0].observed_at, scope.snapshots[-1].observed_at
    notes.append(f"months covered from {first:%Y-%m-%d} to {last:%Y-%m-%d}; the first and last month may be "
                 "partial")
    notes.append(QUIRKS)
    return rows, notes
