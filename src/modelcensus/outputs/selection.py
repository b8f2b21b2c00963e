"""Which snapshots the report covers, which of them form a comparable series, and the lineage they need.

A change ("up from", "gained most", a line over time) is only stated between snapshots that count the
same thing: both full censuses, or partial ones with the same scope and filter. The rule itself lives in
the metrics stage (:mod:`modelcensus.metrics.census`, docs/census.md); this module applies it to the
report's series: the trend is drawn over the latest snapshot and the earlier ones comparable with it, and
when there are none the report says why instead of comparing two different slices of the Hub.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from modelcensus.errors import InputError, NotFoundError
from modelcensus.metrics.queries import store_value
from modelcensus.outputs.formatting import describe_scope
from modelcensus.store import Snapshot, Store


def select_snapshots(store: Store, snapshots: Any = None,
                     as_of: Any = None) -> tuple[list[Snapshot], list[dict[str, Any]]]:
    """The snapshots the report covers, and the ones left out with the reason.

    Default: the complete snapshots of the latest complete snapshot's source (and synthetic flag), so a
    series never mixes another source or a synthetic hub into the shares. ``snapshots`` (ids) overrides.
    ``as_of`` leaves out every snapshot observed after that date.
    """
    every = store.snapshots()
    after: list[Snapshot] = []
    if as_of is not None and every:
        from modelcensus.metrics.census import parse_as_of

        when = parse_as_of(as_of)
        if when is None:  # parse_as_of reads '' as "no date given"; here one was given, and it is no date
            raise InputError(f"--as-of {as_of!r}: expected a date such as 2025-04-22, a month such as 2025-04 "
                             "or a datetime")
        after = [s for s in every if _aware(s.observed_at) > when]
        every = [s for s in every if _aware(s.observed_at) <= when]
        if not every:
            raise InputError(f"--as-of {as_of}: no snapshot observed at or before it (see `modelcensus snapshots`)")
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
    excluded += [{"id": s.id, "source": s.source, "observed_at": s.as_dict()["observed_at"],
                  "reason": "observed after --as-of"} for s in after]
    return used, excluded


def _aware(ts: datetime) -> datetime:
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)


def ensure_lineage(store: Store, snaps: list[Snapshot], registry: Any) -> list[str]:
    """Build lineage for every snapshot used (no-op when current); InputError when none can be had."""
    notes: list[str] = []
    build: Callable[[Store, int, Any], object] | None
    try:
        from modelcensus.lineage import ensure_lineage as build
    except ImportError:
        build = None
    for s in snaps:
        if build is not None:
            build(store, s.id, registry)
    missing = [s.id for s in snaps
               if not store_value(store, f"SELECT count(*) FROM origins WHERE snapshot_id = {int(s.id)}")]
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
    snapshot_signature: Callable[[Snapshot], str] | None
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


# -- the two points a change is stated between ------------------------------------------------------------------

@dataclass
class Points:
    """The latest point of the report and, when one is comparable with it, the base point a change is read from.

    A point is a snapshot (``kw = {"snapshot": id}``) or, with ``--as-of``, a census as of a date
    (``kw = {"as_of": ..., "max_age": ...}``, built by the metrics stage from the snapshots in its window).
    """

    latest: list[Snapshot]
    latest_kw: dict[str, Any]
    latest_label: str
    base: list[Snapshot] | None = None
    base_kw: dict[str, Any] | None = None
    base_label: str | None = None
    reason: str | None = None  # why there is no base point (as-of mode)
    censuses: dict[str, Any] = field(default_factory=dict)  # "latest"/"base" -> metrics.census.Census

    @property
    def compared(self) -> bool:
        return self.base is not None


def _day(s: Snapshot) -> str:
    return s.as_dict()["observed_at"][:10]


def snapshot_points(trend: Trend) -> Points:
    """Points of a snapshot series: the latest snapshot and the earliest one comparable with it."""
    last = trend.series[-1]
    pts = Points([last], {"snapshot": last.id}, f"the latest snapshot ({_day(last)})")
    if trend.drawn:
        first = trend.series[0]
        word = "first" if not trend.left_out else "earliest comparable"
        pts.base, pts.base_kw, pts.base_label = [first], {"snapshot": first.id}, f"the {word} snapshot ({_day(first)})"
    return pts


def census_points(store: Store, snaps: list[Snapshot], as_of: Any, max_age: Any) -> Points:
    """Points of an as-of report: the census as of ``as_of`` and the earliest census, as of an earlier snapshot's
    date, that combines the same kind of snapshots (same signature: full backbone, or the same slices)."""
    from modelcensus.metrics.census import DEFAULT_MAX_AGE_DAYS, plan_census

    max_age = DEFAULT_MAX_AGE_DAYS if max_age is None else max_age
    every = store.snapshots()
    latest = plan_census(store, as_of, max_age, every)
    day = latest.as_of.strftime("%Y-%m-%d")
    kind = ("full backbone" if latest.backbone else "no full backbone")
    label = f"the census as of {day} ({len(latest.snapshots)} snapshot{'s' if len(latest.snapshots) > 1 else ''}, " \
            f"{kind}, max age {latest.max_age_days} days)"
    pts = Points(latest.snapshots, {"as_of": latest.as_of, "max_age": latest.max_age_days}, label,
                 censuses={"latest": latest})
    sig = latest.signature()
    seen: set[str] = set()
    for s in snaps:
        d = _day(s)
        if d in seen or d >= day:
            continue
        seen.add(d)
        try:
            base = plan_census(store, d, max_age, every)
        except InputError:
            continue
        if base.signature() == sig and [x.id for x in base.snapshots] != [x.id for x in latest.snapshots]:
            pts.base, pts.base_kw = base.snapshots, {"as_of": base.as_of, "max_age": base.max_age_days}
            pts.base_label = f"the census as of {d}"
            pts.censuses["base"] = base
            return pts
    pts.reason = (f"no trend is drawn: no census as of an earlier snapshot date combines the same kind of snapshots "
                  f"as {label} ({'full backbone' if sig == 'full' else 'the same partial slices'}), so a change "
                  "between them would be a change of coverage, not of adoption")
    return pts
