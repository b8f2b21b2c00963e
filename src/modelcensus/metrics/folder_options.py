"""What the ``--snapshots DIR`` path computes and accepts: its metrics with their default keys, fields and
options, the keys it can group by, and the checks that refuse the rest (exit 2) before any file is read.
Option values are typed by the store path's own rules (``catalog.coerce_options``), so both paths accept
and refuse the same values."""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics import SPECS
from modelcensus.metrics.catalog import COMMON_OPTIONS, coerce_options, parse_bool
from modelcensus.metrics.concentration import parse_ks
from modelcensus.metrics.derivatives import check_options
from modelcensus.metrics.downloads import check_gaps
from modelcensus.metrics.groups import check_attribution, group_key
from modelcensus.metrics.intermediaries import check_detail as check_rule_detail
from modelcensus.metrics.intermediaries import check_rules
from modelcensus.metrics.licences import check_detail
from modelcensus.metrics.option_files import check_option_file, option_path
from modelcensus.metrics.ram import check_options as check_ram_options
from modelcensus.metrics.sizes import PARAMETERS_CSV

# metric -> (default --by, download fields, series, own options)
_DERIVATIVE_OPTIONS = ("credit", "period", "min_downloads", "min_downloads_field")
SLICE_METRICS: dict[str, tuple[str | None, tuple[str, ...], bool, tuple[str, ...]]] = {
    "downloads": ("publisher_country", ("downloads_30d", "downloads_all_time"), False, ()),
    "downloads_cumulative": ("publisher_country", ("downloads_all_time",), True, ()),
    "downloads_monthly": ("publisher_country", ("downloads_all_time",), True, ("gaps",)),
    "concentration": ("publisher_country", ("downloads_30d", "downloads_all_time"), False,
                      ("k", "include_unknown", "series")),
    "new_models": ("publisher_country", (), False, ()),
    # needs the folder's lineage (its edges say which models are derivatives) whatever the key
    "derivatives": ("relation", (), False, _DERIVATIVE_OPTIONS),
    # the same counts and shares as derivatives (ATOM's derivative share), by family unless told: as on a store
    "derivative_share": ("family", (), False, _DERIVATIVE_OPTIONS),
    # first-party releases per month: which models are first-party comes from the folder's lineage
    "cadence": ("org", (), False, ()),
    # the licence mix of the latest file: licences read from its models rows, made by the importer's query files
    "licences": ("publisher_country", ("downloads_30d", "downloads_all_time"), False, ("detail",)),
    # derivatives labelled more permissively than their root: the lineage's roots, the latest file's licences
    "licence_drift": ("family", ("downloads_30d", "downloads_all_time"), False, ("pairs", "examples")),
    # re-packagers' share of downloads, by rule: the latest file's models rows, edges and publishers' types
    "intermediaries": (None, ("downloads_30d", "downloads_all_time"), False,
                       ("min_repos", "threshold", "detail", "limit")),
    # no key: ATOM's namespace region against the root's namespace region (ATOM's regions file, -o regions=)
    "region_shift": (None, ("downloads_30d", "downloads_all_time"), False, ("regions",)),
    # no key: models and downloads per ATOM size class of the latest file's models rows
    "sizes": (None, ("downloads_30d", "downloads_all_time"), False, ("per_month", "parameters")),
    # ATOM's RAM per model and age over every file's all-time downloads; grouped only when asked
    "ram": (None, ("downloads_all_time",), True,
            ("ages", "rank", "release_dates", "latest", "limit", "max_gap", "parameters")),
}
DERIVATIVE_METRICS = ("derivatives", "derivative_share")
# metrics that read the folder's lineage (origins of every file) whatever the key
ORIGIN_METRICS = ("cadence", "licence_drift", "intermediaries", "region_shift")
# metrics that read the latest file's lineage edges whatever the key
EDGE_METRICS = (*DERIVATIVE_METRICS, "intermediaries")
# metrics grouped by nothing unless --by is given
KEY_OPTIONAL = ("intermediaries", "ram")
# metrics that take no --by, and why (the store path's words)
NO_KEY = {"sizes": "it groups by size_class", "region_shift": "it cross-tabulates namespace and root regions"}
# --by keys that read no lineage: key -> column of model_publishers
PUBLISHER_COLUMNS = {"publisher_country": "publisher_country", "publisher": "namespace"}
ATTRIBUTED_COLUMNS = {"org": "publisher_org", "org_type": "publisher_org_type"}  # with attribution=publisher
# --by keys of the lineage root: key -> column of model_roots (read from the folder's lineage build)
ROOT_COLUMNS = {"root_country": "root_country", "family": "family", "org": "root_org", "org_type": "root_org_type"}

def check_folder_metric(name: str, by: str | None, field: str | None, options: dict[str, Any]
           ) -> tuple[str, str | None, str | None, str]:
    """(grouping column, field, by, table holding the column) or InputError (exit 2) saying what the
    --snapshots path cannot do."""
    if name not in SLICE_METRICS:
        raise InputError(f"metric {name} is not on the --snapshots path yet (it needs the lineage build or the "
                         f"store's other tables); --snapshots computes: {', '.join(SLICE_METRICS)}. Import the "
                         "folder's files into a store (`modelcensus import`) for the others")
    default_by, fields, _series, own = SLICE_METRICS[name]
    allowed = {*own, "attribution"}
    bad = [k for k in options if k not in allowed]
    if bad:
        raise InputError(f"option {bad[0]!r} is not supported with --snapshots for metric {name} "
                         f"(supported: {', '.join(sorted(allowed))})")
    check_attribution(name, None if options.get("attribution") is None else str(options["attribution"]))
    if default_by is None and (by is None or name not in KEY_OPTIONAL):  # no key, as on a store
        if by is not None:
            raise InputError(f"metric {name} takes no --by ({NO_KEY.get(name, 'it has no groups')})")
        column, keys = "", ""
    else:
        by = by or default_by or ""
        column, keys = key_columns(name, by, options)
    if name in SPECS:  # option values typed as on a store (true/false, whole numbers), before any file is read
        coerce_options(SPECS[name], options)
    for option in ("series", "include_unknown", "per_month", "pairs"):
        flag(options, option)
    if name == "licences":
        check_detail(given(options, "detail", "class"))
    if name == "intermediaries":
        check_rule_detail(given(options, "detail", "rule"))
        typed = coerce_options(SPECS[name], options)
        check_rules(typed["min_repos"], typed["threshold"], typed["limit"])
    if name == "ram":
        typed = coerce_options(SPECS[name], options)
        check_ram_options(typed["ages"], typed["rank"], typed["max_gap"], typed["limit"], typed["release_dates"])
    if name in ("ram", "sizes"):
        sizes = option_path(options.get("parameters"), "parameters")
        if sizes:
            check_option_file(sizes, PARAMETERS_CSV["what"])
    if name == "downloads_monthly":
        check_gaps(given(options, "gaps", "spread"))
    if name == "concentration":
        parse_ks(given(options, "k", "1,5,10"))
    if name in DERIVATIVE_METRICS:  # checked before any file is read, as the store path checks them
        derivative_options(options)
    if name in DERIVATIVE_METRICS and options.get("credit") == "parent":
        raise InputError(f"{name} -o credit=parent is not on the --snapshots path yet (root credit only); "
                         "import the folder's files into a store (`modelcensus import`) for parent credit")
    if fields:
        field = field or fields[0]
        if field not in fields:
            raise InputError(f"field {field!r} for metric {name}: expected one of {', '.join(fields)}")
    elif field is not None:
        raise InputError(f"metric {name} counts repos and takes no download field")
    return column, field, by, keys


def key_columns(name: str, by: str, options: dict[str, Any]) -> tuple[str, str]:
    """(grouping column, table holding it) of ``--by by`` on the folder path, or InputError naming the keys."""
    attribution = given(options, "attribution", "root")  # checked by check_folder_metric
    # cadence counts each organisation's own releases: org keys are the publisher's, as on a store
    attribution = "publisher" if name == "cadence" else attribution
    group_key(by, attribution)  # a bad key: the store path's message listing the valid ones
    if by in PUBLISHER_COLUMNS:
        return PUBLISHER_COLUMNS[by], "model_publishers"
    if by in ATTRIBUTED_COLUMNS and attribution == "publisher":
        return ATTRIBUTED_COLUMNS[by], "model_publishers"
    if by in ROOT_COLUMNS:
        return ROOT_COLUMNS[by], "model_roots"
    if by == "relation" and name in DERIVATIVE_METRICS:
        return "relation", "model_relations"
    raise InputError(f"--by {by} is not on the --snapshots path yet; keys that are: publisher_country, "
                     "publisher, org / org_type (-o attribution=publisher), and from the folder's lineage build "
                     f"(`lineage build --snapshots DIR`): {', '.join(ROOT_COLUMNS)}"
                     + (f"; and relation for {name}" if name in DERIVATIVE_METRICS else ""))


def given(options: dict[str, Any], name: str, default: str) -> str:
    """An option's value as given, its default only when it is not given: an empty ``-o detail=`` is checked
    (and refused) as the store path checks it, not read as the default (review12 R12-2)."""
    value = options.get(name)
    return default if value is None else str(value)


def derivative_options(options: dict[str, Any]) -> tuple[str, str, int | None]:
    """(period, min_downloads_field, min_downloads) of derivatives' options, checked by the store path's rules."""
    period, min_field = given(options, "period", "month"), given(options, "min_downloads_field", "downloads_all_time")
    return period, min_field, check_options(given(options, "credit", "root"), period, options.get("min_downloads"),
                                            min_field)


def flag(options: dict[str, Any], name: str) -> bool:
    """A true/false option, False when not given; a value that is neither is an InputError, as on a store."""
    value = options.get(name)
    return False if value is None else parse_bool(name, value)


def shown_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options a result echoes, typed and with the metric's defaults, as the store path echoes them
    (compute_metric): the metric's own options, and attribution when it is not the default."""
    if name not in SPECS:
        return {k: v for k, v in options.items() if v is not None}
    typed = coerce_options(SPECS[name], options)
    shown = {k: v for k, v in typed.items() if k not in COMMON_OPTIONS and v is not None}
    if typed["attribution"] != "root":
        shown["attribution"] = typed["attribution"]
    return shown
