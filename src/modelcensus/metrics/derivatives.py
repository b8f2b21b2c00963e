"""Derivatives: new derivative repos per month (by the month they were created), by relation or by
who they are credited to — the lineage root (default, ATOM's "organisation of the base model") or,
as an option, the immediate parent (a merge of k parents gives each 1/k).

A derivative is a model with at least one parent edge in the snapshot's lineage. ATOM's filter
(methods.md §1.7) is ``min_downloads=5`` on a chosen download field (default all-time, as methods.md
recommends). With a curated population (e.g. ATOM's list) the *credited root* (or parent) must be in
the list — ATOM's "root_base ∈ tracked first-party models" — not the derivative itself.
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics.downloads import FIELDS
from modelcensus.metrics.groups import GroupKey, region_sql
from modelcensus.metrics.population import population_ids_sql
from modelcensus.metrics.scope import Scope, build_credit, build_models, build_relations

CREDITS = ("root", "parent")

# What a key means when a derivative is credited to its immediate parent: the parent's publisher side.
_PARENT_EXPR = {
    "root_country": "po.publisher_country",
    "publisher_country": "po.publisher_country",
    "org": "po.publisher_org",
    "org_type": "po.publisher_org_type",
    "family": "po.family",
    "root_region": region_sql("po.publisher_country"),
    "publisher_region": region_sql("po.publisher_country"),
    "publisher": "split_part(e.parent_id, '/', 1)",
    "relation": "coalesce(r.relation, 'original')",
    "size_class": "m.size_class",
    "license": "m.license",
}


def _parent_credit(scope: Scope, key: GroupKey, list_ids: str | None, models: str = "mc_d") -> None:
    """mc_credit for parent crediting: 1/k per distinct parent, split by the parent's own origins rows."""
    if key.name not in _PARENT_EXPR:
        raise InputError(f"--by {key.name} with credit=parent: expected one of {', '.join(_PARENT_EXPR)}")
    where = f"WHERE lower(e.parent_id) IN ({list_ids})" if list_ids else ""
    scope.exec(f"""
        CREATE OR REPLACE TEMP VIEW mc_credit AS
        WITH e AS (SELECT DISTINCT snapshot_id, child_id, parent_id FROM edges
                   WHERE snapshot_id IN ({scope.sid_list}) AND coalesce(structural, TRUE)),
             n AS (SELECT snapshot_id, child_id, count(*) AS k FROM e GROUP BY ALL),
             po AS (SELECT * FROM origins WHERE snapshot_id IN ({scope.sid_list}))
        SELECT m.snapshot_id, m.model_id, {_PARENT_EXPR[key.name]} AS grp,
               sum(coalesce(po.weight, 1.0) / n.k) AS w
        FROM {models} m
        JOIN e ON e.snapshot_id = m.snapshot_id AND e.child_id = m.model_id
        JOIN n ON n.snapshot_id = m.snapshot_id AND n.child_id = m.model_id
        LEFT JOIN mc_rel r ON r.snapshot_id = m.snapshot_id AND r.model_id = m.model_id
        LEFT JOIN po ON po.snapshot_id = e.snapshot_id AND po.model_id = e.parent_id
        {where}
        GROUP BY ALL
    """)


def derivatives(scope: Scope, key: GroupKey, *, credit: str = "root", period: str = "month",
                min_downloads: int | None = None, min_downloads_field: str = "downloads_all_time",
                regions: Any = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Derivative counts per (month, group) with each group's share of the month's derivatives."""
    if credit not in CREDITS:
        raise InputError(f"credit {credit!r}: expected one of {', '.join(CREDITS)}")
    if period not in ("month", "all"):
        raise InputError(f"period {period!r}: expected month or all")
    if min_downloads_field not in FIELDS:
        raise InputError(f"min_downloads_field {min_downloads_field!r}: expected one of {', '.join(FIELDS)}")
    list_ids = population_ids_sql(scope.population)
    # a curated list filters the credited root/parent, not the derivative itself
    build_models(scope, created_since=True, population="all" if list_ids else None)
    build_relations(scope)
    notes = [f"derivative = a model with at least one parent edge; credited to its {credit}"
             + (" (merges: 1/k per parent)" if credit == "parent" else " via origin weights (merges: 1/k per root)"),
             key.note if credit == "root" else f"{key.name}: read on the immediate parent's publisher side"]
    # keep only derivatives (and apply the download filter) before crediting
    dl_filter = ""
    if min_downloads is not None:
        col = FIELDS[min_downloads_field]
        dl_filter = f"AND m.{col} > {int(min_downloads)}"
        nulls = scope.store._one(
            f"SELECT count(*) FROM mc_m m JOIN mc_rel r USING (snapshot_id, model_id) WHERE m.{col} IS NULL")
        notes.append(f"ATOM filter: only derivatives with {min_downloads_field} > {int(min_downloads)}"
                     + (f"; {nulls[0]} derivative(s) without that field were excluded" if nulls and nulls[0] else ""))
    scope.exec(f"""CREATE OR REPLACE TEMP VIEW mc_d AS
        SELECT m.* FROM mc_m m JOIN mc_rel r USING (snapshot_id, model_id) WHERE TRUE {dl_filter}""")
    if credit == "root":
        where = f"lower(o.root_id) IN ({list_ids})" if list_ids else None
        build_credit(scope, key, models="mc_d", regions=regions, where=where)
    else:
        _parent_credit(scope, key, list_ids)
    if list_ids:
        notes.append(f"population {scope.population}: derivatives whose credited {credit} is in the list "
                     "(partial credit when only some roots of a merge are)")
    month = "strftime(m.created_at, '%Y-%m')" if period == "month" else "'all'"
    rows = scope.rows(f"""
        WITH g AS (
          SELECT {month} AS month, c.grp, sum(c.w) AS derivatives
          FROM mc_credit c JOIN mc_d m USING (snapshot_id, model_id) GROUP BY ALL)
        SELECT month, grp AS "{key.name}", derivatives,
               derivatives / sum(derivatives) OVER (PARTITION BY month) AS share
        FROM g WHERE derivatives > 0 ORDER BY month NULLS LAST, derivatives DESC, grp NULLS LAST
    """)
    undated = scope.store._one("SELECT count(*) FROM mc_d WHERE created_at IS NULL")
    if period == "month" and undated and undated[0]:
        notes.append(f"{undated[0]} derivative(s) without createdAt are in month null")
    notes.append("month = the derivative repo's createdAt month (the Hub floors createdAt at 2022-03-02; "
                 "createdAt can predate a public release)")
    if not rows:
        notes.append("no derivative in this snapshot and population")
    return rows, notes
