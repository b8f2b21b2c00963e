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
from modelcensus.metrics.queries import aware, snapshot_index_sql, store_queries
from modelcensus.metrics.scope import Scope
from modelcensus.untrusted import parse_whole


def parse_ks(k: Any) -> list[int]:
    items = k if isinstance(k, list | tuple) else str(k).split(",")
    try:
        ks = sorted({parse_whole(x) for x in items if str(x).strip()})
    except ValueError:
        raise InputError(f"k {k!r}: expected whole numbers, e.g. 1,5,10") from None
    if not ks or ks[0] < 1:
        raise InputError(f"k {k!r}: expected positive whole numbers")
    return ks


def concentration(scope: Scope, key: GroupKey, field: str | None, *, k: Any = "1,5,10",
                  include_unknown: bool = False) -> tuple[str, list[str], list[dict[str, Any]], list[str]]:
    """One row per snapshot: groups, total, HHI, Gini, CR-k and the unknown group's share, by the query
    files ``concentration_groups``, ``metric_concentration`` and ``concentration_ranks`` (as --snapshots)."""
    fname, col = field_column(field)
    ks = parse_ks(k)
    # a census as of a date is one point (its rows come from several snapshots): snapshot 0, observed_at = as-of
    if scope.census is not None:
        point, points = "0", [(0, scope.census.as_of)]
    else:
        point, points = "snapshot_id", [(s.id, s.observed_at) for s in sorted(
            scope.snapshots, key=lambda s: (aware(s.observed_at), s.id))]
    with store_queries(scope.store) as q:
        q.define("credit", f"SELECT {point} AS snapshot_id, grp, w, d30, dall FROM mc_credit")
        q.make("snapshot_index", snapshot_index_sql(points))
        q.run(["metric_concentration", "concentration_ranks"],
              {"field": col, "include_unknown": int(include_unknown), "first_k": 1})
        rows = q.rows("SELECT * FROM metric_concentration ORDER BY k")
        add_ranks(rows, q.rows("SELECT snapshot_id, k_desc, cum_share FROM concentration_ranks "
                               "ORDER BY snapshot_id, k_desc"), key.name, ks)
    columns = ["snapshot", "observed_at", "unit", "groups", "total", "hhi", "gini", *(f"cr{kk}" for kk in ks),
               "unknown_share"]
    return fname, columns, rows, [key.note, *concentration_notes(key.name, fname, include_unknown)]


def concentration_notes(unit: str, fname: str, include_unknown: bool) -> list[str]:
    """The notes of ``concentration`` but the key's, on a store and on a ``--snapshots`` folder alike."""
    return [f"unit = {unit}; x = credited {fname} per group; HHI on the 0-1 scale (x10,000 for the antitrust "
            "scale); Gini over groups sorted ascending; CR-k = share of the k largest groups",
            ("the unknown (NULL) group is included as one group" if include_unknown else
             "the unknown (NULL) group is excluded; unknown_share = its share of all downloads"),
            "intermediary namespaces are not merged into base developers unless the key is root-based"]


def add_ranks(rows: list[dict[str, Any]], ranks: list[dict[str, Any]], unit: str, ks: list[int]) -> None:
    """Fill each metric_concentration row's ``unit`` and ``cr{k}`` from concentration_ranks (cumulative shares
    by rank): CR-k above the number of groups is the share of all of them; no group, no CR-k."""
    cum: dict[int, list[float]] = {}
    for r in ranks:
        cum.setdefault(int(r["snapshot_id"]), []).append(r["cum_share"])
    for r in rows:
        r["unit"] = unit
        shares = cum.get(int(r["snapshot"]), [])
        for kk in ks:
            r[f"cr{kk}"] = shares[min(kk, len(shares)) - 1] if shares else None
