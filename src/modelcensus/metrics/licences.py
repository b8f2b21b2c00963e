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
from modelcensus.metrics.downloads import field_column, grp_as
from modelcensus.metrics.groups import GroupKey
from modelcensus.metrics.queries import store_engine, store_queries
from modelcensus.metrics.scope import (
    Scope,
    forget_shared,
    key_joins,
    lineage_stamp,
    resolve_registry,
    shareable_key,
    shared_state,
)


def _registry_tables(scope: Scope) -> None:
    scope.registry = resolve_registry(scope.registry)
    if scope.registry is None:
        raise InputError("licence metrics need the registry's licence classes (modelcensus.lineage.registry)")
    scope.registry.register(store_engine(scope.store))


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
    # weighted counts, rounded for the order as derivatives.ORDERED_ROWS says
    order = "round(models, 6) DESC, grp NULLS LAST" if whole else "grp NULLS LAST, round(models, 6) DESC"
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
    """Derivatives whose licence is more permissive than their root's, per group (or per licence pair): the
    query files licence_drift_rows and metric_licence_drift(_pairs), which --snapshots runs too."""
    _registry_tables(scope)
    fname, col = field_column(field)
    base = f"""
            SELECT m.snapshot_id, {key.expr} AS grp, m.model_id, m.license AS child_license, o.root_id,
                   o.weight AS w, coalesce(m.{col}, 0) AS downloads
            FROM mc_m m
            JOIN origins o ON o.snapshot_id = m.snapshot_id AND o.model_id = m.model_id AND o.depth > 0
            {key_joins(scope, key, regions)}"""
    roots = f"SELECT snapshot_id, id, id_lower, license FROM models WHERE snapshot_id IN ({scope.sid_list})"
    # inside shared_work (the report asks for drift by family and its licence pairs) the rows are built once
    state = shared_state(scope) if scope.models_sql else None
    with store_queries(scope.store) as q:
        q.define("drift_base", base)
        q.define("root_models", roots)
        q.done("reg_licenses")
        sig = None
        if state is not None and shareable_key(key):
            sig = "\n".join((scope.models_sql, lineage_stamp(scope), base, roots, _licence_digest(q)))
        if state is not None and sig is not None and state["sigs"].get("licence_drift_rows") == sig:
            q.done("licence_drift_rows")
        elif state is not None:  # replaced below (a key that cannot share makes its own, dropped with the call)
            forget_shared(scope.store, state, "licence_drift_rows")
        q.run([drift_table(pairs)], {"examples": drift_examples(examples)})
        if state is not None and sig is not None and "licence_drift_rows" not in state["sigs"]:
            q.keep("licence_drift_rows")
            state["keep"].add("licence_drift_rows")
            state["sigs"]["licence_drift_rows"] = sig
        rows = q.rows(drift_rows_sql(pairs))
        unknown_root = q.rows(UNKNOWN_ROOTS)[0]["n"]
    return fname, *drift_result(key, pairs, examples, rows, int(unknown_root or 0))


def _licence_digest(q: Any) -> str:
    """The licence classes and ranks the drift rows were ranked by, as text: a registry object's identity
    would be reused after it is freed, and one changed in place keeps it (review16 R16-2)."""
    rows = q.rows("SELECT license, class, rank FROM reg_licenses ORDER BY license, class, rank")
    return repr([(r["license"], r["class"], r["rank"]) for r in rows])


def drift_examples(examples: Any) -> int:
    """Examples per row, 0 to 20."""
    return max(0, min(int(examples), 20))


def drift_table(pairs: bool) -> str:
    return "metric_licence_drift_pairs" if pairs else "metric_licence_drift"


def drift_rows_sql(pairs: bool) -> str:
    """The drift table's rows in one order on every engine and path."""
    if pairs:
        return ("SELECT * FROM metric_licence_drift_pairs "
                "ORDER BY round(derivatives, 6) DESC, root_license NULLS LAST, child_license NULLS LAST")
    return ("SELECT * FROM metric_licence_drift "
            "ORDER BY round(drifted, 6) DESC, round(derivatives, 6) DESC, grp NULLS LAST")


UNKNOWN_ROOTS = "SELECT count(*) AS n FROM licence_drift_rows WHERE root_license IS NULL"


def drift_result(key: GroupKey, pairs: bool, examples: Any, rows: list[dict[str, Any]], unknown_root: int
                 ) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """(columns, rows, notes) of licence_drift from its table's rows: pair shares, the key's name, examples."""
    n_ex = drift_examples(examples)
    for r in rows:
        if n_ex == 0 and (pairs or r.get("drifted")):  # no example asked: an empty list, not none
            r["examples"] = []
    if pairs:
        total = sum(r["derivatives"] for r in rows) or 0
        for r in rows:
            r["share"] = r["derivatives"] / total if total else None
        columns = ["root_license", "child_license", "derivatives", "downloads", "share", "examples"]
    else:
        rows = grp_as(rows, key.name)
        columns = [key.name, "derivatives", "comparable", "drifted", "share", "drifted_downloads", "examples"]
    notes = [key.note,
             "drift = the derivative's licence is strictly more permissive than its root's (registry order); "
             "share = drifted / derivatives whose two licences are both comparable",
             "the root's licence is read from the root's own row in the same snapshot"]
    if unknown_root:
        notes.append(f"{unknown_root} derivative-root pair(s) have no root licence (root absent from the "
                     "snapshot, unlabelled, or two models spelled as it but for case): not comparable")
    return columns, rows, notes
