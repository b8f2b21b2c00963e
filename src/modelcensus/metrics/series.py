"""Download levels and flows across a series of snapshots (methods.md §3.5).

``mc_panel``: for every snapshot k of the series and every model seen at or before k, the model's
all-time level at k — its last observation at or before k, so a deleted model keeps its
last level and contributes no (negative) flow. ``mc_flow``: per model and interval (k-1, k], the
flow max(0, level_k - level_{k-1}); a drop (reset, recount, rename) becomes 0 and is flagged. The
first snapshot is a level, never a flow; a model first seen later counts as a flow only when it was
created inside the interval (otherwise its level includes history before the series).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from modelcensus.metrics.scope import Scope, shared_state


def build_snapshot_index(scope: Scope) -> None:
    """TEMP mc_snaps(k, sid, t): the series in observation order."""
    values = ", ".join(f"({k}, {s.id}, TIMESTAMPTZ '{_iso(s.observed_at)}')"
                       for k, s in enumerate(scope.snapshots, start=1))
    scope.exec(f"CREATE OR REPLACE TEMP TABLE mc_snaps AS SELECT * FROM (VALUES {values}) v(k, sid, t)")


def _iso(ts: datetime) -> str:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return ts.astimezone(UTC).isoformat()


def build_panel(scope: Scope, models: str = "mc_m") -> dict[str, Any]:
    """Build mc_obs, mc_panel and mc_flow; returns counts for the notes.

    Models are keyed by a dense integer ``mid``: one per lower-cased id (a case-only rename continues
    the series), except that spellings which coexist in one snapshot are distinct repos and each keeps
    its own series (before, they were merged and whichever row a join picked won: results varied from
    run to run). The integer key means the one window pass that
    finds each observation's previous and next observation sorts integers, not strings. Each
    observation is then expanded to the snapshots it covers until the model's next observation (or
    the end of the series) — the ASOF "last observation at or before k" without a grid or a join.
    """
    state = shared_state(scope) if models == "mc_m" and scope.models_sql else None
    if state is not None and state["sigs"].get("panel") == scope.models_sql:
        return state["panel_counts"]
    build_snapshot_index(scope)
    last_k = len(scope.snapshots)
    scope.exec(f"""
        CREATE OR REPLACE TEMP TABLE mc_obs AS
        WITH pairs AS MATERIALIZED (SELECT DISTINCT id_lower, model_id FROM {models}),
             multi AS (SELECT id_lower FROM pairs GROUP BY 1 HAVING count(*) > 1),
             dup AS (SELECT DISTINCT id_lower FROM (
                       SELECT snapshot_id, id_lower FROM {models} WHERE id_lower IN (SELECT id_lower FROM multi)
                       GROUP BY ALL HAVING count(*) > 1)),
             ids AS (SELECT p.id_lower, p.model_id,
                            dense_rank() OVER (ORDER BY p.id_lower, CASE WHEN d.id_lower IS NOT NULL
                                                                    THEN p.model_id END) AS mid
                     FROM pairs p LEFT JOIN dup d USING (id_lower))
        SELECT s.k, ids.mid, m.snapshot_id AS sid, m.model_id, m.created_at, m.dall AS level
        FROM {models} m JOIN mc_snaps s ON s.sid = m.snapshot_id JOIN ids USING (id_lower, model_id)
        WHERE m.dall IS NOT NULL
    """)
    scope.exec(f"""
        CREATE OR REPLACE TEMP TABLE mc_panel AS
        WITH o AS (SELECT *, lead(k) OVER w AS next_k, lag(level) OVER w AS prev_obs,
                          min(k) OVER p AS first_k, max(k) OVER p AS last_k
                   FROM mc_obs WINDOW w AS (PARTITION BY mid ORDER BY k), p AS (PARTITION BY mid))
        SELECT g.k, o.mid, o.first_k, o.last_k, o.k AS obs_k, o.sid AS obs_sid, o.model_id, o.created_at,
               o.level, CASE WHEN g.k = o.k THEN o.prev_obs ELSE o.level END AS prev_level
        FROM o CROSS JOIN unnest(range(o.k, coalesce(o.next_k, {last_k} + 1))) AS g(k)
    """)
    scope.exec("""
        CREATE OR REPLACE TEMP TABLE mc_flow AS
        SELECT f.k, f.obs_sid, f.model_id, f.level, f.prev_level, f.first_k, f.created_at, sp.t AS t_prev,
               CASE
                 WHEN f.k = 1 THEN NULL                                  -- first snapshot: level only
                 WHEN f.prev_level IS NULL AND f.created_at > sp.t THEN f.level   -- born inside the interval
                 WHEN f.prev_level IS NULL THEN NULL                     -- first seen with prior history
                 WHEN f.level < f.prev_level THEN 0                      -- reset / recount: flagged
                 ELSE f.level - f.prev_level
               END AS flow,
               (f.prev_level IS NOT NULL AND f.level < f.prev_level) AS negative,
               (f.k > 1 AND f.prev_level IS NULL AND NOT coalesce(f.created_at > sp.t, FALSE)) AS history_only
        FROM mc_panel f LEFT JOIN mc_snaps sp ON sp.k = f.k - 1
    """)
    counts = scope.store._one("""
        SELECT (SELECT count(*) FROM mc_flow WHERE negative),
               (SELECT count(*) FROM mc_flow WHERE history_only),
               (SELECT count(DISTINCT mid) FROM mc_panel WHERE last_k < (SELECT max(k) FROM mc_snaps)),
               (SELECT count(*) FROM mc_m WHERE dall IS NULL),
               (SELECT list(model_id ORDER BY model_id)[1:3] FROM mc_flow WHERE negative)
    """)
    assert counts is not None
    out = {"negative": int(counts[0]), "history_only": int(counts[1]), "deleted": int(counts[2]),
           "no_level": int(counts[3]), "negative_examples": list(counts[4] or [])}
    if state is not None:  # inside shared_work: keep the panel for the next series metric of this scope
        state["keep"].update(("mc_snaps", "mc_obs", "mc_panel", "mc_flow"))
        state["sigs"]["panel"] = scope.models_sql
        state["panel_counts"] = out
    return out


def series_notes(counts: dict[str, Any], n_snapshots: int) -> list[str]:
    """The notes every series metric carries about how levels were turned into flows."""
    notes = [f"series of {n_snapshots} snapshot(s); field downloads_all_time; the first snapshot is a level, "
             "not a flow"]
    if counts["negative"]:
        ex = ", ".join(counts["negative_examples"])
        notes.append(f"{counts['negative']} negative all-time delta(s) (reset/recount) set to 0 and flagged "
                     f"(e.g. {ex})")
    if counts["deleted"]:
        notes.append(f"{counts['deleted']} model(s) absent from later snapshots (deleted, private or outside a "
                     "partial snapshot): their last level is carried forward, no negative flow")
    if counts["history_only"]:
        notes.append(f"{counts['history_only']} model(s) first seen after the first snapshot but created before "
                     "the previous one: their first level includes earlier history and is not counted as a flow")
    if counts["no_level"]:
        notes.append(f"{counts['no_level']} model row(s) without downloads_all_time were left out of levels and "
                     "flows")
    return notes


def month_fractions(scope: Scope, gaps: str) -> list[tuple[int, str, float]]:
    """(k, 'YYYY-MM', fraction) of interval (t_{k-1}, t_k] falling in each calendar month.

    ``spread``: uniformly over the interval's duration (methods.md §3.5); ``assign``: all of it to the
    month holding the interval's last instant (a snapshot at 00:00 on 1 April closes March).
    """
    out: list[tuple[int, str, float]] = []
    snaps = scope.snapshots
    for k in range(2, len(snaps) + 1):
        a = _aware(snaps[k - 2].observed_at)
        b = _aware(snaps[k - 1].observed_at)
        if gaps == "assign" or b <= a:
            end = b - timedelta(microseconds=1) if b > a else b  # the interval's last instant
            out.append((k, f"{end.year:04d}-{end.month:02d}", 1.0))
            continue
        total = (b - a).total_seconds()
        cur = a
        while cur < b:
            nxt = datetime(cur.year + (cur.month == 12), cur.month % 12 + 1, 1, tzinfo=UTC)
            end = min(nxt, b)
            out.append((k, f"{cur.year:04d}-{cur.month:02d}", (end - cur).total_seconds() / total))
            cur = end
    return out


def _aware(ts: datetime) -> datetime:
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)
