"""Licences: the mix of licence classes by group, and licence drift along lineage.

Drift: a derivative labelled more permissively than its root (a Llama-licensed root under a
derivative marked MIT). Classes and the permissiveness order come from the registry
(``reg_licenses``: licence, class, rank; rank 0 = most permissive, NULL = not comparable), so the
SQL test ``child.rank < root.rank`` is exactly ``Registry.more_permissive``; unknown or custom
licences never count as drift.
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics.downloads import field_column
from modelcensus.metrics.groups import GroupKey
from modelcensus.metrics.queries import store_queries
from modelcensus.metrics.scope import Scope, key_joins, resolve_registry


def _registry_tables(scope: Scope) -> None:
    scope.registry = resolve_registry(scope.registry)
    if scope.registry is None:
        raise InputError("licence metrics need the registry's licence classes (modelcensus.lineage.registry)")
    scope.registry.to_duckdb(scope.store.con)


def licence_mix(scope: Scope, key: GroupKey, field: str | None, *, detail: str = "class"
                ) -> tuple[str, list[str], list[dict[str, Any]], list[str]]:
    """Per group and licence class (or licence id): models, downloads and the share of the group's models
    (query file metric_licences, which --snapshots runs too)."""
    check_detail(detail)
    _registry_tables(scope)
    fname, col = field_column(field)
    whole = key.name == "license"
    with store_queries(scope.store) as q:
        q.define("licence_credit", f"SELECT c.grp, c.w, m.license, m.{col} AS downloads "
                                   "FROM mc_credit c JOIN mc_m m USING (snapshot_id, model_id)")
        q.done("reg_licenses")
        q.run(["metric_licences"], {"by_class": int(detail == "class"), "whole": int(whole)})
        raw = q.rows(licence_rows(whole))
    columns = licence_columns(key, detail)
    return fname, columns, licence_result_rows(raw, columns), licence_notes(key, fname, whole)


def check_detail(detail: str) -> None:
    if detail not in ("class", "license"):
        raise InputError(f"detail {detail!r}: expected class or license")


def licence_rows(whole: bool) -> str:
    """metric_licences' rows in the store path's order (by the licence's models over all, else per group)."""
    order = "models DESC, grp NULLS LAST" if whole else "grp NULLS LAST, models DESC"
    return f"SELECT * FROM metric_licences ORDER BY {order}, lic NULLS LAST"


def licence_result_rows(raw: list[dict[str, Any]], columns: list[str]) -> list[dict[str, Any]]:
    """metric_licences' rows under the metric's column names (the key's, license_class or license)."""
    return [dict(zip(columns, (r["grp"], r["lic"], r["models"], r["downloads"], r["share"], r["downloads_share"]),
                     strict=True)) for r in raw]


def licence_columns(key: GroupKey, detail: str) -> list[str]:
    return [key.name, "license_class" if detail == "class" else "license", "models", "downloads", "share",
            "downloads_share"]


def licence_notes(key: GroupKey, fname: str, whole: bool) -> list[str]:
    of = "all models" if whole else "the group's models"
    return [key.note, f"share = the licence's share of {of} (credit-weighted); downloads_share uses {fname}",
            "licence = the model's own label (card, else license: tag); classes from the registry; "
            "a missing or unlisted licence is class 'unknown'"]


def licence_drift(scope: Scope, key: GroupKey, field: str | None, *, pairs: bool = False, examples: int = 3,
                  regions: Any = None) -> tuple[str, list[str], list[dict[str, Any]], list[str]]:
    """Derivatives whose licence is more permissive than their root's, per group (or per licence pair)."""
    _registry_tables(scope)
    fname, col = field_column(field)
    n_ex = max(0, min(int(examples), 20))
    scope.exec(f"""
        CREATE OR REPLACE TEMP TABLE mc_drift AS
        SELECT {key.expr} AS grp, m.model_id, m.license AS child_license, rm.license AS root_license, o.root_id,
               o.weight AS w,
               coalesce(m.{col}, 0) AS downloads,
               cl.rank AS child_rank, rl.rank AS root_rank,
               (cl.rank IS NOT NULL AND rl.rank IS NOT NULL) AS comparable,
               coalesce(cl.rank < rl.rank, FALSE) AS drifted
        FROM mc_m m
        JOIN origins o ON o.snapshot_id = m.snapshot_id AND o.model_id = m.model_id AND o.depth > 0
        {key_joins(scope, key, regions)}
        LEFT JOIN models rm ON rm.snapshot_id = m.snapshot_id AND rm.id_lower = lower(o.root_id)
        LEFT JOIN reg_licenses cl ON cl.license = lower(m.license)
        LEFT JOIN reg_licenses rl ON rl.license = lower(rm.license)
    """)
    if pairs:
        rows = scope.rows(f"""
            SELECT root_license, child_license, sum(w) AS derivatives, sum(w * downloads) AS downloads,
                   list(model_id ORDER BY downloads DESC, model_id)[1:{n_ex}] AS examples
            FROM mc_drift WHERE drifted GROUP BY ALL ORDER BY derivatives DESC, root_license, child_license
        """)
        total = sum(r["derivatives"] for r in rows) or 0
        for r in rows:
            r["share"] = r["derivatives"] / total if total else None
        columns = ["root_license", "child_license", "derivatives", "downloads", "share", "examples"]
    else:
        rows = scope.rows(f"""
            SELECT grp AS "{key.name}", sum(w) AS derivatives,
                   sum(w) FILTER (WHERE comparable) AS comparable,
                   coalesce(sum(w) FILTER (WHERE drifted), 0) AS drifted,
                   CASE WHEN sum(w) FILTER (WHERE comparable) > 0
                        THEN coalesce(sum(w) FILTER (WHERE drifted), 0) / sum(w) FILTER (WHERE comparable) END
                     AS share,
                   coalesce(sum(w * downloads) FILTER (WHERE drifted), 0) AS drifted_downloads,
                   list(model_id || ' [' || coalesce(child_license, '?') || '] <- ' || root_id || ' ['
                        || coalesce(root_license, '?') || ']' ORDER BY downloads DESC, model_id)
                     FILTER (WHERE drifted)[1:{n_ex}] AS examples
            FROM mc_drift GROUP BY grp ORDER BY drifted DESC, derivatives DESC, grp NULLS LAST
        """)
        columns = [key.name, "derivatives", "comparable", "drifted", "share", "drifted_downloads", "examples"]
    unknown_root = scope.store._one("SELECT count(*) FROM mc_drift WHERE root_license IS NULL")
    notes = [key.note,
             "drift = the derivative's licence is strictly more permissive than its root's (registry order); "
             "share = drifted / derivatives whose two licences are both comparable",
             "the root's licence is read from the root's own row in the same snapshot"]
    if unknown_root and unknown_root[0]:
        notes.append(f"{unknown_root[0]} derivative-root pair(s) have no root licence (root absent from the "
                     "snapshot or unlabelled): not comparable")
    return fname, columns, rows, notes
