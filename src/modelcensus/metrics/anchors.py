"""Reproducing the anchors' universe: ATOM's namespace view beside modelcensus's root view.

ATOM attributes a repo to the region of its own namespace (``organization_regions.csv``, exact and
case-sensitive; an unlisted namespace is "unreviewed"). modelcensus attributes it to its lineage
root. ``region_shift`` is the cross-table of the two on the same rows: where each download sits
under ATOM's rule and where it moves under the root rule (ATOM's own table applied to the root's
namespace, so only the attribution rule differs). :func:`atom_comparison` runs the views the
docs compare.
"""

from __future__ import annotations

from typing import Any

from modelcensus.metrics.downloads import field_column
from modelcensus.metrics.queries import store_queries
from modelcensus.metrics.scope import Scope, load_namespace_regions


def region_shift(scope: Scope, field: str | None, regions: Any) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """(namespace_region, root_namespace_region) cross-table of credited models and downloads: the query file
    metric_region_shift, which --snapshots runs too."""
    fname, col = field_column(field)
    load_namespace_regions(scope, regions)
    with store_queries(scope.store) as q:
        q.define("shift_rows", f"SELECT m.namespace, o.root_id, m.model_id, o.weight AS w, m.{col} AS downloads "
                               "FROM mc_m m LEFT JOIN origins o ON o.snapshot_id = m.snapshot_id "
                               "AND o.model_id = m.model_id")
        q.define("namespace_regions", "SELECT namespace, region FROM mc_nsregion")
        q.run(["metric_region_shift"])
        rows = q.rows(SHIFT_ROWS)
    return shift_result(fname, rows)


SHIFT_ROWS = ("SELECT * FROM metric_region_shift "
              "ORDER BY round(downloads, 6) DESC, namespace_region, root_namespace_region")


def shift_result(fname: str, rows: list[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """(columns, rows, notes) of region_shift from its table's rows: how much moves between the two rules."""
    moved = sum(r["downloads"] for r in rows if r["moved"])
    total = sum(r["downloads"] for r in rows)
    notes = ["namespace_region: ATOM's rule (the repo's own namespace in organization_regions.csv, exact case; "
             "unlisted = unreviewed); root_namespace_region: the same table applied to the lineage root's namespace",
             f"share = share of all {fname}; moved = the two rules disagree",
             f"{moved / total:.1%} of {fname} change region between the two rules" if total else
             "no downloads in scope"]
    return ["namespace_region", "root_namespace_region", "models", "downloads", "share", "moved"], rows, notes


def atom_comparison(store: Any, *, regions: str, registry: Any, snapshot: Any = None,
                    population: str = "all", field: str = "downloads_30d") -> dict[str, Any]:
    """The views docs/metrics.md compares, on one snapshot: ATOM's namespace view, the root views
    (ATOM's table on the root; modelcensus's registry on the root), the shift table and derivative
    share by family and by root region with ATOM's >5 filter on ``field``."""
    from modelcensus.metrics import compute_metric

    common = dict(snapshot=snapshot, population=population, registry=registry, regions=regions)
    out = {by: compute_metric(store, "downloads", by=by, field=field, **common)
           for by in ("namespace_region", "root_namespace_region", "root_region")}
    out["region_shift"] = compute_metric(store, "region_shift", field=field, **common)
    for by in ("family", "root_namespace_region"):
        out[f"derivative_share_{by}"] = compute_metric(store, "derivative_share", by=by, period="all",
                                                       min_downloads=5, min_downloads_field=field, **common)
    return out
