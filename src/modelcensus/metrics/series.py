"""Download levels and flows across a series of snapshots (methods.md §3.5).

``panel``: for every snapshot k of the series and every model seen at or before k, the model's
all-time level at k — its last observation at or before k, so a deleted model keeps its
last level and contributes no (negative) flow. ``flow``: per model and interval (k-1, k], the
flow max(0, level_k - level_{k-1}); a drop (reset, recount, rename) becomes 0 and is flagged. The
first snapshot is a level, never a flow; a model first seen later counts as a flow only when it was
created inside the interval (otherwise its level includes history before the series).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from modelcensus.metrics.queries import StoreQueries, snapshot_index_sql
from modelcensus.metrics.scope import Scope, forget_shared, shared_state
from modelcensus.store import Snapshot


def build_panel(q: StoreQueries, scope: Scope) -> dict[str, Any]:
    """Register ``snapshot_index`` for the scope's series and make ``panel`` and ``flow`` from the query files
    (``panel_obs``, ``panel``, ``flow``, ``series_counts``: the --snapshots path's own) over the scope's models
    (``mc_m``); returns the counts for the notes.

    Models are keyed by a dense integer ``mid``: one per lower-cased id (a case-only rename continues
    the series), except that spellings which coexist in one snapshot are distinct repos and each keeps
    its own series (before, they were merged and whichever row a join picked won: results varied from
    run to run). The integer key means the one window pass that
    finds each observation's previous and next observation sorts integers, not strings. Each
    observation is then expanded to the snapshots it covers until the model's next observation (or
    the end of the series) — the ASOF "last observation at or before k" without a grid or a join.
    """
    q.make("snapshot_index", snapshot_index_sql((s.id, s.observed_at) for s in scope.snapshots))
    state = shared_state(scope) if scope.models_sql else None
    if state is not None and state["sigs"].get("panel") == scope.models_sql:
        q.done("panel", "flow")  # kept by an earlier series metric of this shared_work block
        return state["panel_counts"]  # type: ignore[no-any-return]
    if state is not None:  # forgotten before it is replaced: a failure below must not leave a stale signature
        forget_shared(scope.store, state, "panel", "flow")
    q.define("snapshot_models", "SELECT snapshot_id, model_id, id_lower, created_at, dall FROM mc_m")
    q.run(["panel", "flow", "series_counts"], {"last_k": len(scope.snapshots)})
    q.area.drop("panel_obs")
    counts = q.rows("SELECT * FROM series_counts")[0]
    examples = q.rows("SELECT model_id FROM flow WHERE negative ORDER BY model_id LIMIT 3")
    out = {**{k: int(counts[k] or 0) for k in ("negative", "history_only", "deleted", "no_level")},
           "negative_examples": [r["model_id"] for r in examples]}
    if state is not None:  # inside shared_work: keep the panel for the next series metric of this scope
        q.keep("panel", "flow")
        state["keep"].update(("panel", "flow"))
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


def month_fractions(snaps: Sequence[Snapshot], gaps: str) -> list[tuple[int, str, float]]:
    """(k, 'YYYY-MM', fraction) of interval (t_{k-1}, t_k] falling in each calendar month of ``snaps``
    (the series' snapshots in order: a store scope's or a --snapshots folder's).

    ``spread``: uniformly over the interval's duration (methods.md §3.5); ``assign``: all of it to the
    month holding the interval's last instant (a snapshot at 00:00 on 1 April closes March).
    """
    out: list[tuple[int, str, float]] = []
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
