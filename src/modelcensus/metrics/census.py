"""Which snapshots a metric reads: one snapshot, a series, or a census as of a date — and whether two
points of a series may be compared. The one place where snapshots are selected (docs/census.md).

A **census as of DATE** takes, for each model, its latest observation at or before DATE from any snapshot
no older than ``max_age_days``. Full snapshots are the backbone: the latest full snapshot in the window
holds every model of its day, so observations made before it are superseded (the model is in it) or void
(the model is absent: deleted or made private, so it is gone from then on). Partial and delta snapshots
observed after the backbone refresh the models they hold. So the census is chosen per *snapshot* first
(backbone + later partial/delta snapshots), then per model in SQL: backbone rows anti-joined to the
fresher rows, plus the latest fresher row per model — two set operations, no model loop, and no work at
all beyond the plain snapshot when nothing fresher exists.

**Comparability**: a change between two points is stated only when both are full-backbone censuses
(or full snapshots), or both are built from partial/delta snapshots with the same scope and filter
(e.g. the same tree scraped on two dates). :func:`comparability` says which, machine-readably.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from modelcensus.dates import parse_when
from modelcensus.errors import InputError
from modelcensus.metrics.queries import store_engine
from modelcensus.store import Snapshot, Store
from modelcensus.untrusted import parse_whole

DEFAULT_MAX_AGE_DAYS = 45


def parse_as_of(value: Any, what: str = "--as-of") -> datetime | None:
    """A date (the end of that day), a month ``YYYY-MM`` (its last instant) or a datetime -> aware UTC."""
    if value is None or value == "":
        return None
    text = str(value).strip() if not isinstance(value, datetime) else ""
    ts = parse_when(value, what, month_ok=True, future_slack=None, min_year=2000)
    assert ts is not None
    try:
        if len(text) == 7:  # a month: its last instant
            nxt = datetime(ts.year + (ts.month == 12), ts.month % 12 + 1, 1, tzinfo=UTC)
            return nxt - timedelta(microseconds=1)
        if _is_day(text):  # a day: its end, so a snapshot taken that afternoon counts
            return ts + timedelta(days=1) - timedelta(microseconds=1)
    except (OverflowError, ValueError):  # December 9999: its end is the last instant there is (review28: exit 3)
        return datetime.max.replace(tzinfo=UTC)
    return ts


def _is_day(text: str) -> bool:
    """A date without a time, in any ISO form (``2025-01-01``, ``20250101``, ``2025-W01-3``): review29 R29-3 found
    ``20250101`` read as the day's first instant where ``2025-01-01`` is its last."""
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def looks_like_date(ref: Any) -> bool:
    """``--snapshot`` takes an id, ``latest`` or a date; a date has a dash (``2025-04-22``, ``2025-04``)."""
    return isinstance(ref, datetime) or (isinstance(ref, str) and "-" in ref.strip()[1:])


def check_max_age(value: Any) -> int:
    try:
        days = parse_whole(value)  # plain digits, as the CLI reads them: int() took '1_0' and other scripts' digits
    except (TypeError, ValueError):
        raise InputError(f"--max-age {value!r}: expected a whole number of days") from None
    if not 1 <= days <= 3660:
        raise InputError(f"--max-age {value!r}: expected 1 to 3660 days")
    return days


def _aware(ts: datetime) -> datetime:
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)


def _iso(ts: datetime) -> str:
    return _aware(ts).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Census:
    """The snapshots that make a census as of ``as_of``: an optional full backbone plus fresher snapshots."""

    as_of: datetime
    max_age_days: int
    backbone: Snapshot | None
    fresher: list[Snapshot]  # partial/delta snapshots observed after the backbone (all of them when none)
    excluded: dict[str, list[int]] = field(default_factory=dict)  # why other snapshots are not used

    @property
    def snapshots(self) -> list[Snapshot]:
        return [*([self.backbone] if self.backbone else []), *self.fresher]

    def signature(self) -> str:
        """What a census covers: equal signatures are comparable (see :func:`point_signature`)."""
        return point_signature(self.snapshots)

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": _iso(self.as_of), "max_age_days": self.max_age_days,
                "backbone": self.backbone.id if self.backbone else None,
                "snapshots": [s.id for s in self.snapshots],
                "scopes": scope_counts(self.snapshots), "signature": self.signature(),
                "excluded": {k: v for k, v in self.excluded.items() if v}}


def _order(s: Snapshot) -> tuple[datetime, int]:
    return (_aware(s.observed_at), s.id)


def plan_census(store: Store, as_of: Any, max_age_days: int = DEFAULT_MAX_AGE_DAYS,
                snapshots: list[Snapshot] | None = None) -> Census:
    """Choose the snapshots of a census as of ``as_of`` (InputError when none is recent enough)."""
    when = as_of if isinstance(as_of, datetime) else parse_as_of(as_of)
    if when is None:
        raise InputError("--as-of: a date is needed")
    max_age_days = check_max_age(max_age_days)
    start = when - timedelta(days=max_age_days)
    every = snapshots if snapshots is not None else store.snapshots()
    later = [s.id for s in every if _aware(s.observed_at) > when]
    stale = [s.id for s in every if _aware(s.observed_at) < start]
    window = sorted((s for s in every if start <= _aware(s.observed_at) <= when), key=_order)
    if not window:
        raise InputError(f"--as-of {_iso(when)[:10]}: no snapshot observed in the {max_age_days} days up to it "
                         f"(see `modelcensus snapshots`; --max-age widens the window)")
    fulls = [s for s in window if s.scope == "full"]
    backbone = fulls[-1] if fulls else None
    fresher = [s for s in window if s.scope != "full" and (backbone is None or _order(s) > _order(backbone))]
    superseded = [s.id for s in window if s is not backbone and s not in fresher]
    return Census(when, max_age_days, backbone, fresher,
                  {"after_as_of": later, "older_than_max_age": stale, "superseded_by_full": superseded})


def census_models_sql(store: Store, census: Census, table: str = "mc_census_rows") -> str:
    """A SELECT of the ``models`` rows that make the census (each row keeps its own snapshot_id).

    With fresher snapshots, one statement builds the TEMP table ``table(rid, sid, keep)``: the row ids of
    each model's latest fresher observation (``keep``) and of the backbone rows they supersede (not
    ``keep``). That is the census's one pass over id strings; every later read of it (the metric, its
    coverage) joins integers. With the backbone alone the SELECT is the plain one-snapshot scan. Row ids
    are only read within the metric call that built them (no write happens in between).
    """
    if not census.fresher:
        assert census.backbone is not None
        return f"SELECT * FROM models WHERE snapshot_id = {census.backbone.id}"
    order = ", ".join(f"({s.id}, {k})" for k, s in enumerate(census.fresher))
    # the explicit IN lists let DuckDB skip other snapshots' row groups (zone maps) instead of probing every row
    ids = ", ".join(str(s.id) for s in census.fresher)
    superseded = ""
    if census.backbone is not None:
        superseded = (f"UNION ALL SELECT b.rowid, b.snapshot_id, FALSE FROM models b SEMI JOIN f "
                      f"ON f.id_lower = b.id_lower WHERE b.snapshot_id = {census.backbone.id}")
    store_engine(store).materialise(table, f"""
        WITH f AS MATERIALIZED (
          SELECT m.id_lower, arg_max(m.snapshot_id, o.k) AS sid
          FROM models m JOIN (VALUES {order}) o(sid, k) ON o.sid = m.snapshot_id
          WHERE m.snapshot_id IN ({ids}) GROUP BY m.id_lower)
        SELECT m.rowid AS rid, m.snapshot_id AS sid, TRUE AS keep
        FROM models m SEMI JOIN f ON f.sid = m.snapshot_id AND f.id_lower = m.id_lower
        WHERE m.snapshot_id IN ({ids})
        {superseded}
    """)
    fresh = (f"SELECT m.* FROM models m SEMI JOIN (SELECT rid FROM {table} WHERE keep) f ON f.rid = m.rowid "
             f"WHERE m.snapshot_id IN ({ids})")
    if census.backbone is None:
        return fresh
    return (f"SELECT b.* FROM models b ANTI JOIN (SELECT rid FROM {table} WHERE NOT keep) d ON d.rid = b.rowid "
            f"WHERE b.snapshot_id = {census.backbone.id} UNION ALL {fresh}")


def census_row_counts(store: Store, census: Census, table: str = "mc_census_rows") -> dict[int, int]:
    """Rows the census takes from each of its snapshots, from the table :func:`census_models_sql` built:
    the backbone's count (row-group statistics) less the rows superseded, plus the fresher rows kept."""
    engine = store_engine(store)
    out: dict[int, int] = {}
    per = engine.query(f"SELECT sid, count(*) AS n FROM {table} WHERE keep GROUP BY 1").to_pylist() \
        if census.fresher else []
    if census.backbone is not None:
        row = engine.query(f"SELECT count(*) AS n FROM models WHERE snapshot_id = {census.backbone.id}").to_pylist()
        dropped = engine.query(f"SELECT count(*) AS n FROM {table} WHERE NOT keep").to_pylist() \
            if census.fresher else [{"n": 0}]
        out[census.backbone.id] = int(row[0]["n"]) - int(dropped[0]["n"])
    out.update({int(r["sid"]): int(r["n"]) for r in per})
    return out


def select_snapshots(store: Store, *, snapshot: Any = None, snapshots: Any = None, since: datetime | None = None,
                     series: bool = False, source: str | None = None) -> list[Snapshot]:
    """One snapshot (default: latest), or the series up to ``snapshot`` observed at or after ``since``."""
    if snapshots:
        ids = snapshots if isinstance(snapshots, list | tuple) else str(snapshots).split(",")
        chosen = [store.snapshot(str(i).strip()) for i in ids]
        return sorted(chosen, key=lambda s: (s.observed_at, s.id))
    if not series:
        return [store.snapshot(snapshot)]
    last = store.snapshot(snapshot)
    out = [s for s in store.snapshots()
           if s.observed_at <= last.observed_at and (since is None or s.observed_at >= since)
           and (source is None or s.source == source)]
    if not out:
        raise InputError(f"no snapshot between {since} and {last.observed_at} (source {source or 'any'})")
    return out


# -- comparability -----------------------------------------------------------------------------------------

def snapshot_signature(s: Snapshot) -> str:
    """``full``, or ``partial:{filter}`` / ``delta:{filter}`` with the filter as canonical JSON."""
    if s.scope == "full":
        return "full"
    return f"{s.scope}:{json.dumps(s.filter, sort_keys=True, default=str)}"


def point_signature(snaps: list[Snapshot]) -> str:
    """A point (snapshot or census) with a full snapshot in it is a full-backbone point: ``full``.
    Otherwise the sorted distinct signatures of its partial/delta snapshots."""
    if not snaps:
        return "empty"
    if any(s.scope == "full" for s in snaps):
        return "full"
    return " + ".join(sorted({snapshot_signature(s) for s in snaps}))


def scope_counts(snaps: list[Snapshot]) -> dict[str, int]:
    out: dict[str, int] = {}
    for s in snaps:
        out[s.scope] = out.get(s.scope, 0) + 1
    return out


@dataclass
class Comparability:
    """Whether a series of points may be read as a trend, and why (machine-readable for the report).

    ``code``: ``comparable`` | ``single_point`` | ``no_points`` | ``mixed_scope`` | ``different_filters``.
    ``groups``: the points split by signature, so a reader can keep one comparable sub-series.
    """

    comparable: bool
    code: str
    reason: str
    signature: str | None
    groups: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {"comparable": self.comparable, "code": self.code, "reason": self.reason,
                "signature": self.signature, "groups": self.groups}


def comparability(points: list[list[Snapshot]], labels: list[Any] | None = None) -> Comparability:
    """May a change be stated across ``points`` (each point: the snapshots it is built from)?"""
    labels = labels if labels is not None else list(range(len(points)))
    sigs = [point_signature(p) for p in points]
    groups: dict[str, list[Any]] = {}
    for sig, label in zip(sigs, labels, strict=True):
        groups.setdefault(sig, []).append(label)
    group_list = [{"signature": sig, "points": pts} for sig, pts in groups.items()]
    if not points:
        return Comparability(False, "no_points", "no point to compare: no trend is drawn", None, [])
    if len(points) == 1:
        return Comparability(False, "single_point", "one point only: a level, no trend", sigs[0], group_list)
    if len(groups) == 1:
        why = ("every point has a full backbone" if sigs[0] == "full" else
               "every point is built from partial snapshots with the same scope and filter")
        return Comparability(True, "comparable", why, sigs[0], group_list)
    scopes = {s.split(":", 1)[0] for s in groups}
    if len(scopes) > 1 or "full" in groups:
        reason = ("no trend: the points mix full and partial/delta coverage (a change between them would compare "
                  "different populations of models, not the same population over time)")
        return Comparability(False, "mixed_scope", reason, None, group_list)
    reason = (f"no trend: the points cover {len(groups)} different slices of the Hub (different filters, e.g. "
              "different trees, authors or files); a change between them is a change of coverage, not of adoption")
    return Comparability(False, "different_filters", reason, None, group_list)


def series_comparability(snaps: list[Snapshot]) -> Comparability:
    """Each snapshot of a series is one point."""
    return comparability([[s] for s in snaps], [s.id for s in snaps])


def month_ends(first: datetime, last: datetime) -> list[datetime]:
    """The last instant of every calendar month from ``first``'s month to ``last``'s."""
    out = []
    y, m = _aware(first).year, _aware(first).month
    end = _aware(last)
    while (y, m) <= (end.year, end.month):
        y2, m2 = (y + (m == 12), m % 12 + 1)
        out.append(datetime(y2, m2, 1, tzinfo=UTC) - timedelta(microseconds=1))
        y, m = y2, m2
    return out


def census_points(store: Store, *, since: Any = None, until: Any = None,
                  max_age_days: int = DEFAULT_MAX_AGE_DAYS) -> tuple[list[Census], Comparability]:
    """Monthly as-of censuses (month ends from the first snapshot's month to the last's, bounded by
    ``since``/``until``), months with no snapshot in their window left out, and whether they compare."""
    snaps = store.snapshots()
    if not snaps:
        return [], comparability([])
    lo = parse_as_of(since, "--since") if since else min(_aware(s.observed_at) for s in snaps)
    hi = parse_as_of(until, "--as-of") if until else max(_aware(s.observed_at) for s in snaps)
    assert lo is not None and hi is not None
    points = []
    for end in month_ends(lo, hi):
        try:
            points.append(plan_census(store, end, max_age_days, snaps))
        except InputError:  # no snapshot recent enough for that month: no point, not an invented one
            continue
    comp = comparability([p.snapshots for p in points], [_iso(p.as_of)[:10] for p in points])
    return points, comp
