"""Concentration of downloads over organisations, families or countries (methods.md §2.3).

Per snapshot, with x_i = credited downloads of group i and s_i = x_i / Σx:
HHI = Σ s_i² (1/n for n equal groups, 1 for a single group); Gini = 2 Σ_k k·x_(k) / (n Σx) − (n+1)/n
over x sorted ascending (0 for equal groups and for one group); CR-k = Σ of the k largest s_i.
The NULL ("unknown") group is a mix of many unattributed actors, so by default it is left out and
its share of the total is reported in ``unknown_share``; ``include_unknown=true`` keeps it as one group.
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics.downloads import field_column
from modelcensus.metrics.groups import GroupKey
from modelcensus.metrics.scope import Scope


def parse_ks(k: Any) -> list[int]:
    items = k if isinstance(k, list | tuple) else str(k).split(",")
    try:
        ks = sorted({int(str(x).strip()) for x in items if str(x).strip()})
    except ValueError:
        raise InputError(f"k {k!r}: expected whole numbers, e.g. 1,5,10") from None
    if not ks or ks[0] < 1:
        raise InputError(f"k {k!r}: expected positive whole numbers")
    return ks


def concentration(scope: Scope, key: GroupKey, field: str | None, *, k: Any = "1,5,10",
                  include_unknown: bool = False) -> tuple[str, list[str], list[dict[str, Any]], list[str]]:
    """One row per snapshot: groups, total, HHI, Gini, CR-k and the unknown group's share."""
    fname, col = field_column(field)
    ks = parse_ks(k)
    known = "TRUE" if include_unknown else "grp IS NOT NULL"
    # a census as of a date is one point (its rows come from several snapshots): snapshot 0, observed_at = as-of
    point, points = "c.snapshot_id", "snapshots"
    if scope.census is not None:
        point = "0"
        points = f"(SELECT 0 AS id, TIMESTAMPTZ '{scope.census.as_of.isoformat()}' AS observed_at)"
    crs = ", ".join(f"sum(x / tot) FILTER (WHERE k_desc <= {kk}) AS cr{kk}" for kk in ks)
    rows = scope.rows(f"""
        WITH g AS (
          SELECT {point} AS snapshot_id, c.grp, sum(c.w * coalesce(c.{col}, 0)) AS x
          FROM mc_credit c GROUP BY ALL),
        u AS (SELECT snapshot_id, sum(x) AS all_x, coalesce(sum(x) FILTER (WHERE grp IS NULL), 0) AS unknown_x
              FROM g GROUP BY 1),
        r AS (SELECT snapshot_id, x,
                     row_number() OVER (PARTITION BY snapshot_id ORDER BY x ASC) AS k_asc,
                     row_number() OVER (PARTITION BY snapshot_id ORDER BY x DESC) AS k_desc,
                     count(*) OVER (PARTITION BY snapshot_id) AS n,
                     sum(x) OVER (PARTITION BY snapshot_id) AS tot
              FROM g WHERE {known}),
        agg AS (SELECT snapshot_id, any_value(n) AS n, any_value(tot) AS tot,
                       CASE WHEN any_value(tot) > 0 THEN sum((x / tot) * (x / tot)) END AS hhi,
                       CASE WHEN any_value(tot) > 0
                            THEN 2 * sum(k_asc * x) / (any_value(n) * any_value(tot))
                                 - (any_value(n) + 1) / any_value(n) END AS gini,
                       {crs}
                FROM r GROUP BY 1)
        SELECT s.id AS snapshot, CAST(s.observed_at AS DATE) AS observed_at, '{key.name}' AS unit,
               coalesce(agg.n, 0) AS groups, coalesce(agg.tot, 0) AS total, agg.hhi, agg.gini,
               {', '.join(f'agg.cr{kk}' for kk in ks)},
               CASE WHEN u.all_x > 0 THEN u.unknown_x / u.all_x END AS unknown_share
        FROM {points} s LEFT JOIN agg ON agg.snapshot_id = s.id LEFT JOIN u ON u.snapshot_id = s.id
        WHERE s.id IN ({scope.sid_list if scope.census is None else 0})
        ORDER BY s.observed_at, s.id
    """)
    columns = ["snapshot", "observed_at", "unit", "groups", "total", "hhi", "gini", *(f"cr{kk}" for kk in ks),
               "unknown_share"]
    notes = [key.note,
             f"unit = {key.name}; x = credited {fname} per group; HHI on the 0-1 scale (x10,000 for the antitrust "
             "scale); Gini over groups sorted ascending; CR-k = share of the k largest groups",
             ("the unknown (NULL) group is included as one group" if include_unknown else
              "the unknown (NULL) group is excluded; unknown_share = its share of all downloads"),
             "intermediary namespaces are not merged into base developers unless the key is root-based"]
    return fname, columns, rows, notes
