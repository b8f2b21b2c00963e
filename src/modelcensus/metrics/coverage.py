"""What a metric result covers, and warnings when that is too little to read it as a census.

Every :class:`~modelcensus.metrics.result.MetricResult` carries ``coverage`` (models counted, the
population's "N of M present" for a curated list, observation dates and ages, scopes combined, filters)
and ``warnings`` (``[{code, message}]``). Rows are counted per snapshot over the same population view the
metric reads (before metric-specific filters such as ``--since``): from row-group statistics and the
census's small tables for population ``all``, else one aggregate; a curated list adds one aggregate for
"N of M present". The age spread is read off the handful of per-snapshot counts. Codes (stable):

- ``population_low``: fewer than half of a curated population's models are present;
- ``no_full_backbone``: only partial/delta snapshots: the figures describe those slices, not the Hub;
- ``delta_only``: only delta snapshots (models modified since a date);
- ``no_models``: nothing of the population in the snapshot(s);
- ``stale_observations``: in a census, some rows are older than half the allowed age;
- ``no_trend``: a series whose points are not comparable (see :mod:`modelcensus.metrics.census`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from modelcensus.metrics.census import Comparability, _iso, census_row_counts, scope_counts
from modelcensus.metrics.population import BUILTIN_POPULATIONS
from modelcensus.metrics.queries import store_rows, store_value
from modelcensus.metrics.scope import Scope, build_models
from modelcensus.store.sql import sql_literal

LOW_POPULATION_SHARE = 0.5


# the warning of a result over no model, on the store path and on --snapshots alike
NO_MODELS = "no model of the population (and filters) in the snapshot(s) used"

def _warn(code: str, message: str) -> dict[str, str]:
    return {"code": code, "message": message}


def _aware(ts: datetime) -> datetime:
    return (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)


def compute_coverage(scope: Scope, trend: Comparability | None = None) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """(coverage, warnings) for the scope's population in its snapshot(s) or census."""
    build_models(scope, table="mc_cov")
    curated = scope.population not in BUILTIN_POPULATIONS
    counts = _row_counts(scope)
    snaps = {s.id: s for s in scope.snapshots}
    series = scope.census is None and len(scope.snapshots) > 1
    total = sum(counts.values())
    cov: dict[str, Any] = {
        "models": total if not series else max(counts.values(), default=0),
        "snapshots": [s.id for s in scope.snapshots],
        "scopes": scope_counts(scope.snapshots),
        "full_backbone": any(s.scope == "full" for s in scope.snapshots),
        "per_snapshot": [{"snapshot": sid, "observed_at": _iso(snaps[sid].observed_at), "scope": snaps[sid].scope,
                          "models": counts.get(sid, 0)} for sid in snaps],
    }
    if series:
        cov["note"] = "a series: models = the largest number of models in one snapshot of it"
    if scope.census is not None:
        cov["as_of"] = _iso(scope.census.as_of)
        cov["max_age_days"] = scope.census.max_age_days
        cov["backbone"] = scope.census.backbone.id if scope.census.backbone else None
    cov["observed"] = _ages(scope, counts)
    if scope.pipeline_tags or scope.libraries:
        cov["filters"] = {"pipeline_tag": list(scope.pipeline_tags), "library": list(scope.libraries)}
    warnings: list[dict[str, str]] = []
    if curated:
        cov["population"] = _population(scope, warnings)
    else:
        cov["population"] = {"name": scope.population, "kind": "built-in"}
    if total == 0:
        warnings.append(_warn("no_models", NO_MODELS))
    if not cov["full_backbone"]:
        only = set(cov["scopes"])
        if only == {"delta"}:
            warnings.append(_warn("delta_only", "only delta snapshots (models modified since a date): not a census "
                                                "of the Hub; shares describe recently changed models"))
        else:
            warnings.append(_warn("no_full_backbone",
                                  f"partial snapshots only ({_filters_text(scope)}), no full snapshot: the figures "
                                  "describe those slices of the Hub, not the Hub"))
    ages = cov["observed"].get("age_days")
    if scope.census is not None and ages and ages["max"] > scope.census.max_age_days / 2:
        warnings.append(_warn("stale_observations",
                              f"some rows were observed up to {ages['max']:.0f} days before the as-of date "
                              f"(median {ages['median']:.0f}); they may be out of date"))
    if trend is not None and not trend.comparable and trend.code not in ("single_point", "no_points"):
        warnings.append(_warn("no_trend", trend.reason))
    return cov, warnings


def _row_counts(scope: Scope) -> dict[int, int]:
    """Models counted per snapshot. Every model of the snapshot(s) (population ``all``, no filter): counts
    DuckDB answers from its row-group statistics and the census's small tables, no scan of the rows; else
    one aggregate over the population view."""
    if scope.population == "all" and not scope.pipeline_tags and not scope.libraries:
        if scope.census is not None:
            return census_row_counts(scope.store, scope.census)
        out = {}
        for s in scope.snapshots:  # one statistics look-up per snapshot, not a pass over its models
            out[s.id] = int(store_value(scope.store, f"SELECT count(*) FROM models WHERE snapshot_id = {int(s.id)}")
                            or 0)
        return out
    return {int(r["snapshot_id"]): int(r["n"])
            for r in store_rows(scope.store, "SELECT snapshot_id, count(*) AS n FROM mc_cov GROUP BY 1")}


def _filters_text(scope: Scope) -> str:
    parts = []
    for s in scope.snapshots[:4]:
        flt = ", ".join(f"{k}={_short(v)}" for k, v in (s.filter or {}).items())
        parts.append(f"{s.id}: {s.scope}" + (f" {flt}" if flt else ""))
    more = f"; {len(scope.snapshots) - 4} more" if len(scope.snapshots) > 4 else ""
    return "; ".join(parts) + more


def _short(v: Any) -> str:
    if isinstance(v, list):
        return " + ".join(map(str, v[:3])) + (f" + {len(v) - 3} more" if len(v) > 3 else "")
    return str(v)


def _ages(scope: Scope, counts: dict[int, int]) -> dict[str, Any]:
    """Observation dates of the rows counted, and (for a census) their age at the as-of date in days."""
    used = [(s, counts[s.id]) for s in scope.snapshots if counts.get(s.id)]
    if not used:
        return {}
    out: dict[str, Any] = {"oldest": _iso(min(_aware(s.observed_at) for s, _ in used)),
                           "newest": _iso(max(_aware(s.observed_at) for s, _ in used))}
    if scope.census is not None:
        ref = scope.census.as_of
        ages = sorted(((ref - _aware(s.observed_at)).total_seconds() / 86400, n) for s, n in used)
        total = sum(n for _, n in ages)
        run, median = 0, ages[-1][0]
        for age, n in ages:  # weighted median over the per-snapshot row counts
            run += n
            if run * 2 >= total:
                median = age
                break
        out["age_days"] = {"min": round(ages[0][0], 2), "median": round(median, 2), "max": round(ages[-1][0], 2)}
    return out


def _population(scope: Scope, warnings: list[dict[str, str]]) -> dict[str, Any]:
    """A curated list: its size, how many of its models the data holds, and their downloads."""
    rows = store_rows(scope.store, f"""
        WITH p AS (SELECT DISTINCT lower(model_id) AS id_lower FROM populations
                   WHERE name = {sql_literal(scope.population)}),
             present AS (SELECT id_lower, max(d30) AS d30 FROM mc_cov GROUP BY 1)
        SELECT (SELECT count(*) FROM p) AS size, count(present.id_lower) AS present, count(present.d30) AS with_dl,
               coalesce(sum(present.d30), 0) AS downloads
        FROM present
    """)
    size, present, with_dl, downloads = (
        (int(rows[0][k]) for k in ("size", "present", "with_dl", "downloads")) if rows else (0, 0, 0, 0))
    share = present / size if size else None
    out = {"name": scope.population, "kind": "curated", "size": size, "present": present,
           "share": share, "present_with_downloads": with_dl, "downloads_30d_present": downloads,
           "text": f"{present:,} of {size:,} population models present"}
    if size and present < size * LOW_POPULATION_SHARE:
        warnings.append(_warn("population_low",
                              f"only {present:,} of {size:,} {scope.population} models ({present / size:.1%}) are in "
                              f"the data: the figures describe those {present:,}, not the population"))
    return out
