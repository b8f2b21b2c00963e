"""Metrics: adoption, derivatives, RAM, concentration, licences and intermediaries as SQL over the store.

``compute_metric(store, name, by=..., population=..., since=..., snapshot=..., registry=..., field=...,
**options)`` returns a :class:`MetricResult` whose JSON is design.md's metric rows. See docs/metrics.md.
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics import anchors
from modelcensus.metrics import concentration as conc
from modelcensus.metrics import derivatives as deriv
from modelcensus.metrics import downloads as dl
from modelcensus.metrics import intermediaries as inter
from modelcensus.metrics import licences as lic
from modelcensus.metrics import ram as ram_mod
from modelcensus.metrics.catalog import COMMON_OPTIONS, MetricSpec, coerce_options
from modelcensus.metrics.census import DEFAULT_MAX_AGE_DAYS, census_points, looks_like_date, series_comparability
from modelcensus.metrics.coverage import compute_coverage
from modelcensus.metrics.groups import GROUP_KEYS, check_attribution, group_key
from modelcensus.metrics.result import MetricResult, clean_value
from modelcensus.metrics.scope import REGIONS_NEEDED, build_credit, build_models, drop_temps, make_scope, shared_work
from modelcensus.store import Store

_DL = ("downloads_30d", "downloads_all_time")
_DERIV_OPTS: dict[str, tuple[type, Any, str]] = {
    "credit": (str, "root", "root | parent: who a derivative is credited to"),
    "min_downloads": (int, None, "ATOM filter: keep derivatives with more than N downloads (ATOM: 5)"),
    "min_downloads_field": (str, "downloads_all_time", "download field the filter reads"),
    "period": (str, "month", "month | all"),
}

SPECS: dict[str, MetricSpec] = {s.name: s for s in (
    MetricSpec("downloads", "downloads on one snapshot by group, with shares", "root_country", False, _DL, False,
               lineage="key"),
    MetricSpec("downloads_cumulative", "all-time download levels per snapshot by group (ATOM's cumulative view)",
               "root_country", False, ("downloads_all_time",), True, lineage="key"),
    MetricSpec("downloads_monthly", "calendar-month flows from all-time deltas across snapshots", "root_country",
               False, ("downloads_all_time",), True,
               {"gaps": (str, "spread", "spread | assign: how a multi-month gap's delta is booked")},
               lineage="key"),
    MetricSpec("derivatives", "new derivative repos per createdAt month, by relation or credited group",
               "relation", False, (), False, _DERIV_OPTS),
    MetricSpec("derivative_share", "each group's share of the month's new derivatives (ATOM derivative share)",
               "family", False, (), False, _DERIV_OPTS),
    MetricSpec("ram", "ATOM Relative Adoption Metric v2 per model and age", None, True, ("downloads_all_time",),
               True, {"ages": (list, None, "checkpoint ages in days (default 7,14,30,60,90,180,365)"),
                      "rank": (int, 10, "the baseline is the rank-th model of the size class"),
                      "release_dates": (str, None, "ATOM release_date_corrections.csv"),
                      "latest": (bool, False, "one row per model: its oldest checkpoint reached"),
                      "limit": (int, 10_000, "rows per checkpoint age, highest RAM first (0 = all)"),
                      "max_gap": (int, 92, "no value at an age whose surrounding observations are further apart "
                                           "(days; 0 = no limit)")}, lineage="key"),
    MetricSpec("concentration", "HHI, Gini and CR-k of downloads over groups, per snapshot", "org", False, _DL,
               False, {"k": (list, ["1", "5", "10"], "CR-k sizes"),
                       "include_unknown": (bool, False, "keep the unknown group as one group"),
                       "series": (bool, False, "one row per snapshot of the series instead of one snapshot")},
               lineage="key"),
    MetricSpec("licences", "licence-class mix by group", "root_country", False, _DL, False,
               {"detail": (str, "class", "class | license")}, lineage="key"),
    MetricSpec("licence_drift", "derivatives labelled more permissively than their root", "family", False, _DL,
               False, {"pairs": (bool, False, "rows per (root licence, child licence) pair"),
                       "examples": (int, 3, "examples per row")}),
    MetricSpec("intermediaries", "share of downloads going to re-packagers/quantizers, by rule", None, True, _DL,
               False, {"min_repos": (int, 5, "heuristic: minimum repos in the namespace"),
                       "threshold": (float, 0.5, "heuristic: share of re-packaged repos above which it fires"),
                       "detail": (str, "rule", "rule | namespaces"),
                       "limit": (int, 50, "detail=namespaces: rows (0 = all)")}),
    MetricSpec("sizes", "models and downloads per ATOM size class", None, True, _DL, False,
               {"per_month": (bool, False, "by createdAt month: share of new models per size class")},
               lineage="never"),
    MetricSpec("cadence", "first-party releases per month per publishing organisation", "org", False, (), False),
    MetricSpec("region_shift", "ATOM's namespace region vs the root's region, cross-tabulated", None, True, _DL,
               False),
)}

METRIC_NAMES: tuple[str, ...] = tuple(SPECS)


def _check_name(name: str) -> MetricSpec:
    if name not in SPECS:
        raise InputError(f"metric {name!r}: expected one of {', '.join(METRIC_NAMES)}")
    return SPECS[name]


# metrics that read one point and do not group by snapshot: they accept a census as of a date
AS_OF_METRICS = ("downloads", "licences", "derivatives", "derivative_share", "sizes", "cadence", "region_shift",
                 "concentration")


def reads_lineage(name: str, key: Any) -> bool:
    """Whether metric ``name`` grouped by ``key`` reads origins or edges (``MetricSpec.lineage``, then
    ``GroupKey.reads_lineage``). A metric that reads only ``models`` (sizes, RAM without a key, downloads by
    licence, ...) ran a whole build first (47-58 s at 2.2M models) for nothing, and without one was noted as
    lacking root attributes it never reads (review16 R16-7)."""
    need = SPECS[name].lineage
    return need == "always" or need == "key" and key is not None and key.reads_lineage


def compute_metric(store: Store, name: str, *, by: str | None = None, population: str | None = "all",
                   since: Any = None, snapshot: Any = None, registry: Any = None, field: str | None = None,
                   as_of: Any = None, max_age: Any = DEFAULT_MAX_AGE_DAYS, pipeline_tags: Any = None,
                   libraries: Any = None, **options: Any) -> MetricResult:
    """Compute metric ``name``; bad names, keys, populations, fields or options raise InputError.

    ``as_of`` (or ``snapshot`` given as a date) computes over a census as of that date (docs/census.md);
    ``max_age`` bounds its observations' age in days; ``pipeline_tags`` / ``libraries`` filter the models.
    The result carries ``coverage`` and ``warnings``, and ``trend`` for a series."""
    spec = _check_name(name)
    if (as_of is not None or looks_like_date(snapshot)) and name not in AS_OF_METRICS:
        raise InputError(f"metric {name} does not take --as-of or --snapshot DATE (it reads a series of snapshots "
                         f"or per-snapshot namespaces); metrics that do: {', '.join(AS_OF_METRICS)}")
    opts = coerce_options(spec, options)
    if by is None and not spec.by_optional:
        by = spec.default_by
    if name == "sizes" and by is not None:
        raise InputError("metric sizes takes no --by (it groups by size_class); use downloads --by size_class")
    if name == "region_shift" and by is not None:
        raise InputError("metric region_shift takes no --by (it cross-tabulates namespace and root regions)")
    raw_attribution = options.get("attribution")
    check_attribution(name, None if raw_attribution is None else str(raw_attribution))
    attribution = "publisher" if name == "cadence" else opts["attribution"]
    key = group_key(by, attribution) if by is not None else None
    if spec.fields:
        fname = field or spec.fields[0]
        if fname not in spec.fields:
            raise InputError(f"field {fname!r} for metric {name}: expected one of {', '.join(spec.fields)}")
    elif field is not None:
        raise InputError(f"metric {name} counts repos and takes no download field")
    else:
        fname = None
    regions_by = "region_shift" if name == "region_shift" else \
        f"--by {key.name}" if key is not None and key.name in ("namespace_region", "root_namespace_region") else None
    if regions_by and not opts["regions"]:  # before make_scope's lineage build, too (review20 R20-6)
        raise InputError(f"{regions_by} {REGIONS_NEEDED}")
    if name == "ram":  # checked before make_scope, which may build lineage for every snapshot (review15 R15-2)
        ram_mod.check_options(opts["ages"], opts["rank"], opts["max_gap"], opts["limit"], opts["release_dates"])
    series = spec.series or bool(opts.get("series"))
    scope = make_scope(store, snapshot=snapshot, snapshots=opts["snapshots"], since=since, population=population,
                       registry=registry, series=series, source=opts["source"], ensure=opts["ensure"],
                       parameters=opts["parameters"], as_of=as_of, max_age=max_age, pipeline_tags=pipeline_tags,
                       libraries=libraries, lineage=reads_lineage(name, key))
    trend = series_comparability(scope.snapshots) if series or len(scope.snapshots) > 1 and scope.census is None \
        else None
    try:
        columns, rows, notes = _run(name, scope, key, fname, opts)
        coverage, warnings = compute_coverage(scope, trend)
    finally:
        drop_temps(scope)
    shown = {k: v for k, v in opts.items() if k not in COMMON_OPTIONS and v is not None}
    if opts["attribution"] != "root":
        shown["attribution"] = opts["attribution"]
    return MetricResult(metric=name, by=by, snapshots=scope.snapshot_dicts(), population=scope.population,
                        field=fname, columns=columns,
                        rows=[{c: clean_value(r.get(c)) for c in columns} for r in rows], notes=[*scope.notes, *notes],
                        synthetic=scope.synthetic, options=shown, coverage=coverage, warnings=warnings,
                        census=scope.census.as_dict() if scope.census is not None else None,
                        trend=trend.as_dict() if trend is not None else None)


def _run(name: str, scope: Any, key: Any, fname: str | None, o: dict[str, Any]
         ) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """Dispatch to the metric's module; returns (columns, rows, notes)."""
    regions = o["regions"]
    if name in ("derivatives", "derivative_share"):
        rows, notes = deriv.derivatives(scope, key, credit=o["credit"], period=o["period"],
                                        min_downloads=o["min_downloads"],
                                        min_downloads_field=o["min_downloads_field"], regions=regions)
        return ["month", key.name, "derivatives", "share"], rows, notes
    if name == "ram":
        rows, notes = ram_mod.ram(scope, key, ages=o["ages"], rank=o["rank"], release_dates=o["release_dates"],
                                  latest=o["latest"], max_gap=o["max_gap"], limit=o["limit"],
                                  regions=regions)
        cols = ["model", "size_class", *([key.name] if key else []), "release_date", "age_days", "downloads",
                "baseline", "reference_models", "ram"]
        return cols, rows, notes
    build_models(scope, created_since=name not in ("downloads_cumulative", "downloads_monthly", "concentration"))
    if key is not None:
        build_credit(scope, key, regions=regions, carry=("d30", "dall"))
    if name == "downloads":
        _, rows, notes = dl.downloads_by_group(scope, key, fname)
        return [key.name, "downloads", "models", "share"], rows, notes
    if name == "downloads_cumulative":
        rows, notes = dl.cumulative_by_group(scope, key)
        return ["snapshot", "observed_at", key.name, "downloads", "models", "share"], rows, notes
    if name == "downloads_monthly":
        rows, notes = dl.monthly_by_group(scope, key, o["gaps"])
        return ["month", key.name, "downloads", "share"], rows, notes
    if name == "concentration":
        _, cols, rows, notes = conc.concentration(scope, key, fname, k=o["k"], include_unknown=o["include_unknown"])
        return cols, rows, notes
    if name == "licences":
        _, cols, rows, notes = lic.licence_mix(scope, key, fname, detail=o["detail"])
        return cols, rows, notes
    if name == "licence_drift":
        _, cols, rows, notes = lic.licence_drift(scope, key, fname, pairs=o["pairs"], examples=o["examples"],
                                                 regions=regions)
        return cols, rows, notes
    if name == "intermediaries":
        _, cols, rows, notes = inter.intermediaries(scope, key, fname, min_repos=o["min_repos"],
                                                    threshold=o["threshold"], detail=o["detail"], limit=o["limit"])
        return cols, rows, notes
    if name == "sizes":
        _, cols, rows, notes = inter.sizes(scope, fname, per_month=o["per_month"])
        return cols, rows, notes
    if name == "cadence":
        rows, notes = inter.cadence(scope, key)
        return ["month", key.name, "releases", "share"], rows, notes
    if name == "region_shift":
        return anchors.region_shift(scope, fname, regions)
    raise AssertionError(name)  # pragma: no cover - SPECS and _run list the same names


__all__ = ["AS_OF_METRICS", "GROUP_KEYS", "METRIC_NAMES", "MetricResult", "SPECS", "census_points", "compute_metric",
           "shared_work"]
