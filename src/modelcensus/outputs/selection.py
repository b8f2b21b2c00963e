"""Which snapshots the report covers, which of them form a comparable series, and the lineage they need.

A change ("up from", "gained most", a line over time) is only stated between snapshots that count the
same thing: both full censuses, or partial ones with the same scope and filter. The rule itself lives in
the metrics stage (:mod:`modelcensus.metrics.census`, docs/census.md); this module applies it to the
report's series: the trend is drawn over the latest snapshot and the earlier ones comparable with it, and
when there are none the report says why instead of comparing two different slices of the Hub.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from modelcensus.errors import InputError, NotFoundError
from modelcensus.outputs.formatting import describe_scope
from modelcensus.store import Snapshot, Store


def select_snapshots(store: Store, snapshots: Any = None) -> tuple[list[Snapshot], list[dict[str, Any]]]:
    """The snapshots the report covers, and the ones left out with the reason.

    Default: the complete snapshots of the latest complete snapshot's source (and synthetic flag), so a
    series never mixes another source or a synthetic hub into the shares. ``snapshots`` (ids) overrides.
    """
    every = store.snapshots()
    if not every:
        raise NotFoundError("the store holds no snapshot (run `modelcensus import`, `pull` or `demo` first)")
    if snapshots:
        ids = snapshots if isinstance(snapshots, list | tuple) else str(snapshots).split(",")
        chosen = sorted({store.snapshot(str(i).strip()).id for i in ids})
        used = [s for s in every if s.id in chosen]
    else:
        complete = [s for s in every if s.complete]
        anchor = complete[-1] if complete else every[-1]
        pool = complete if complete else every
        used = [s for s in pool if s.source == anchor.source and s.synthetic == anchor.synthetic]
    used_ids = {s.id for s in used}
    excluded = []
    for s in every:
        if s.id in used_ids:
            continue
        if snapshots:
            reason = "not requested"
        elif not s.complete:
            reason = "incomplete import or crawl"
        elif s.source != used[-1].source:
            reason = f"other source than {used[-1].source}"
        else:
            reason = "synthetic flag differs from the series"
        excluded.append({"id": s.id, "source": s.source, "observed_at": s.as_dict()["observed_at"], "reason": reason})
    return used, excluded


def ensure_lineage(store: Store, snaps: list[Snapshot], registry: Any) -> list[str]:
    """Build lineage for every snapshot used (no-op when current); InputError when none can be had."""
    notes: list[str] = []
    try:
        from modelcensus.lineage import ensure_lineage as build
    except ImportError:
        build = None
    for s in snaps:
        if build is not None:
            build(store, s.id, registry)
    missing = [s.id for s in snaps if not (store._one("SELECT count(*) FROM origins WHERE snapshot_id = ?",
                                                      [s.id]) or (0,))[0]]
    if missing and len(missing) == len(snaps):
        raise InputError(f"snapshot(s) {', '.join(map(str, missing))}: no lineage (origins) in the store and the "
                         "lineage stage could not build it, so nothing can be attributed to a country")
    if missing:
        notes.append(f"no lineage for snapshot(s) {', '.join(map(str, missing))}: their models count as unknown")
    return notes


# -- comparability --------------------------------------------------------------------------------------------

def scope_of(s: Snapshot) -> str:
    """The snapshot's scope; a store written before scopes existed reads complete as full."""
    scope = getattr(s, "scope", None)
    if scope:
        return str(scope)
    return "full" if s.complete else "partial"


def signature(s: Snapshot) -> str:
    """``full``, or ``scope:{filter}``: equal signatures are comparable (the metrics stage's rule)."""
    try:
        from modelcensus.metrics.census import snapshot_signature
    except ImportError:  # pragma: no cover - the census module ships with the metrics stage
        snapshot_signature = None
    if snapshot_signature is not None and getattr(s, "scope", None):
        return str(snapshot_signature(s))
    scope = scope_of(s)
    if scope == "full":
        return "full"
    flt = getattr(s, "filter", None) or {"source_ref": s.source_ref}
    return f"{scope}:{json.dumps(flt, sort_keys=True, default=str)}"


@dataclass
class Trend:
    """The comparable series a trend is drawn over, and why the other snapshots are not part of it."""

    series: list[Snapshot]  # oldest first, always ends with the latest snapshot
    left_out: list[Snapshot] = field(default_factory=list)
    reason: str | None = None  # why no trend (or only a shorter one) is drawn; None when every snapshot compares

    @property
    def drawn(self) -> bool:
        return len(self.series) > 1


def trend_series(snaps: list[Snapshot]) -> Trend:
    """The latest snapshot and every earlier one with the same signature (same scope and filter, or full)."""
    latest = snaps[-1]
    sig = signature(latest)
    series = [s for s in snaps if signature(s) == sig]
    left = [s for s in snaps if signature(s) != sig]
    if not left:
        return Trend(series)
    what = describe_scope(latest)
    n_sig = len({signature(s) for s in left})
    if len(series) > 1:
        reason = (f"changes are stated only between the {len(series)} snapshots comparable with the latest one "
                  f"({what}); {len(left)} other snapshot{'s' if len(left) > 1 else ''} cover "
                  f"{'a different slice' if n_sig == 1 else f'{n_sig} different slices'} of the Hub and are "
                  "not compared with it")
    else:
        reason = (f"no trend is drawn: no earlier snapshot is comparable with the latest one (snapshot {latest.id}, "
                  f"{what}); the {len(left)} other snapshot{'s' if len(left) > 1 else ''} cover "
                  f"{'a different slice' if n_sig == 1 else f'{n_sig} different slices'} of the Hub, so a change "
                  "between them would be a change of coverage, not of adoption")
    return Trend(series, left, reason)
