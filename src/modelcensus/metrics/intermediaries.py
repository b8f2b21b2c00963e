"""Intermediaries, size distribution and release cadence (methods.md §2.4–2.5).

Intermediaries are namespaces that mainly re-package others' base models. Two rules, reported
separately so a reader sees which fired:
- ``registry``: the publishing organisation's registry org_type is ``intermediary``;
- ``heuristic``: the namespace holds at least ``min_repos`` repos in the snapshot and more than
  ``threshold`` of them are re-packages — a quantized/adapter edge to another namespace's model, or a
  quantization format (gguf/gptq/awq/exl2/mlx/bnb tag or name suffix).
Their downloads stay credited to them here (EOI's "participation" view); the root-based keys give the
ATOM view ("whose model").
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError
from modelcensus.metrics.downloads import field_column, grp_as
from modelcensus.metrics.groups import GroupKey
from modelcensus.metrics.queries import store_queries
from modelcensus.metrics.scope import Scope, build_relations
from modelcensus.metrics.sizes import SIZE_CLASSES

QUANT_TAGS = ("gguf", "gptq", "awq", "exl2", "mlx", "bitsandbytes")
QUANT_NAME = r"(?i)([-_.](gguf|gptq|awq|exl2|mlx|bnb|[0-9]+bit|int[48]|q[2-8]_k(_[msl])?)([-_.]|$))"


def classify_namespaces(scope: Scope, *, min_repos: int = 5, threshold: float = 0.5) -> None:
    """TEMP mc_ns(snapshot_id, namespace, repos, repackaged, by_registry, by_heuristic, rule)."""
    if min_repos < 1 or not 0 <= threshold < 1:
        raise InputError("min_repos must be >= 1 and threshold in [0, 1)")
    build_relations(scope)
    tags = ", ".join(f"'{t}'" for t in QUANT_TAGS)
    scope.exec(f"""
        CREATE OR REPLACE TEMP TABLE mc_ns AS
        WITH repo AS (
          SELECT m.snapshot_id, CASE WHEN contains(m.id, '/') THEN split_part(m.id, '/', 1) ELSE m.id END AS ns,
                 m.id,
                 (list_has_any(coalesce(m.tags, []), [{tags}]) OR lower(coalesce(m.library_name, '')) IN ('gguf', 'mlx')
                  OR regexp_matches(m.id, '{QUANT_NAME}')) AS quant_format
          FROM models m WHERE m.snapshot_id IN ({scope.sid_list})),
        ed AS (
          SELECT snapshot_id, id, bool_or(relation IN ('quantized', 'adapter') AND other_ns) AS repack_edge,
                 bool_or(other_ns) AS foreign_parent
          FROM (SELECT snapshot_id, child_id AS id, relation,
                       lower(split_part(parent_id, '/', 1)) <> lower(split_part(child_id, '/', 1)) AS other_ns
                FROM edges WHERE snapshot_id IN ({scope.sid_list}) AND coalesce(structural, TRUE))
          GROUP BY ALL),
        per AS (
          SELECT r.snapshot_id, r.ns, count(*) AS repos,
                 count(*) FILTER (WHERE coalesce(ed.repack_edge, FALSE)
                                  OR (r.quant_format AND coalesce(ed.foreign_parent, TRUE))) AS repackaged
          FROM repo r LEFT JOIN ed USING (snapshot_id, id) GROUP BY ALL),
        reg AS (
          SELECT DISTINCT o.snapshot_id, o.publisher_namespace AS ns
          FROM origins o WHERE o.snapshot_id IN ({scope.sid_list}) AND o.publisher_org_type = 'intermediary')
        SELECT per.*, reg.ns IS NOT NULL AS by_registry,
               (per.repos >= {int(min_repos)} AND per.repackaged > {float(threshold)!r} * per.repos) AS by_heuristic,
               CASE WHEN reg.ns IS NOT NULL AND per.repos >= {int(min_repos)}
                         AND per.repackaged > {float(threshold)!r} * per.repos THEN 'registry+heuristic'
                    WHEN reg.ns IS NOT NULL THEN 'registry'
                    WHEN per.repos >= {int(min_repos)} AND per.repackaged > {float(threshold)!r} * per.repos
                      THEN 'heuristic'
                    ELSE 'none' END AS rule
        FROM per LEFT JOIN reg ON reg.snapshot_id = per.snapshot_id AND lower(reg.ns) = lower(per.ns)
    """)


def intermediaries(scope: Scope, key: GroupKey | None, field: str | None, *, min_repos: int = 5,
                   threshold: float = 0.5, detail: str = "rule", limit: int = 50
                   ) -> tuple[str, list[str], list[dict[str, Any]], list[str]]:
    """Share of downloads going to intermediary namespaces (per rule, optionally per group or per namespace)."""
    if detail not in ("rule", "namespaces"):
        raise InputError(f"detail {detail!r}: expected rule or namespaces")
    fname, col = field_column(field)
    classify_namespaces(scope, min_repos=int(min_repos), threshold=float(threshold))
    notes = [f"intermediary rules: registry = org_type intermediary; heuristic = >= {int(min_repos)} repos and "
             f"more than {float(threshold):.0%} re-packages (quantized/adapter of another namespace's model, or a "
             "quantization format); downloads stay credited to the intermediary (EOI view)",
             f"share = share of {fname} within the group (or of all downloads)"]
    if detail == "namespaces":
        rows = scope.rows(f"""
            WITH d AS (SELECT m.namespace, sum(coalesce(m.{col}, 0)) AS downloads, count(*) AS models
                       FROM mc_m m GROUP BY 1)
            SELECT n.namespace, n.rule, n.repos, n.repackaged, d.models, d.downloads,
                   d.downloads / nullif((SELECT sum(coalesce({col}, 0)) FROM mc_m), 0) AS share
            FROM (SELECT ns AS namespace, rule, repos, repackaged FROM mc_ns) n JOIN d USING (namespace)
            WHERE n.rule <> 'none' ORDER BY d.downloads DESC, n.namespace LIMIT {max(1, int(limit))}
        """)
        return fname, ["namespace", "rule", "repos", "repackaged", "models", "downloads", "share"], rows, notes
    group = "c.grp" if key is not None else "NULL"
    group_col = [key.name] if key is not None else []
    credit = ("JOIN mc_credit c USING (snapshot_id, model_id)" if key is not None else
              "JOIN (SELECT snapshot_id, model_id, CAST(1 AS DOUBLE) AS w FROM mc_m) c USING (snapshot_id, model_id)")
    sel = f'grp AS "{key.name}", ' if key is not None else ""
    rows = scope.rows(f"""
        WITH g AS (
          SELECT {group} AS grp, coalesce(n.rule, 'none') AS rule, count(DISTINCT m.namespace) AS namespaces,
                 sum(c.w) AS models, sum(c.w * coalesce(m.{col}, 0)) AS downloads
          FROM mc_m m {credit}
          LEFT JOIN mc_ns n ON n.snapshot_id = m.snapshot_id AND n.ns = m.namespace
          GROUP BY ALL)
        SELECT {sel}rule, namespaces, models, downloads,
               CASE WHEN sum(downloads) OVER (PARTITION BY grp) > 0
                    THEN downloads / sum(downloads) OVER (PARTITION BY grp) END AS share
        FROM g ORDER BY grp NULLS LAST, rule
    """)
    if key is not None:
        notes.insert(0, key.note)
    return fname, [*group_col, "rule", "namespaces", "models", "downloads", "share"], rows, notes


def sizes(scope: Scope, field: str | None, *, per_month: bool = False
          ) -> tuple[str, list[str], list[dict[str, Any]], list[str]]:
    """Models and downloads per ATOM size class (or per creation month and size class): the query files
    metric_sizes and metric_sizes_monthly, which --snapshots runs too."""
    fname, col = field_column(field)
    with store_queries(scope.store) as q:
        q.define("sized_models", f"SELECT created_at, {col} AS downloads, size_b, size_class FROM mc_m")
        table = "metric_sizes_monthly" if per_month else "metric_sizes"
        q.run([table])
        rows = q.rows(size_rows(per_month))
    return fname, size_columns(per_month), rows, size_notes(per_month)


def size_rows(per_month: bool) -> str:
    """The sizes table's rows in one order on every engine and path (classes smallest first)."""
    if per_month:
        return "SELECT * FROM metric_sizes_monthly ORDER BY month NULLS LAST, size_class NULLS LAST"
    classes = ", ".join(f"'{c}'" for c in SIZE_CLASSES)
    return f"SELECT * FROM metric_sizes ORDER BY array_position([{classes}], size_class) NULLS LAST"


def size_columns(per_month: bool) -> list[str]:
    return (["month", "size_class", "models", "share", "mean_params_b"] if per_month else
            ["size_class", "models", "model_share", "downloads", "share", "median_params_b"])


def size_notes(per_month: bool) -> list[str]:
    return ["size class from a curated table (option parameters=PATH), else safetensors.total, else the name; "
            "safetensors totals include vision towers/MTP heads and are wrong for GPTQ/AWQ packed tensors",
            "share = share of the month's new models (by createdAt month)" if per_month else
            "share = share of downloads; model_share = share of models"]


def cadence(scope: Scope, key: GroupKey) -> tuple[list[dict[str, Any]], list[str]]:
    """First-party releases per month per publishing organisation (or org type / country): the query files
    first_party_models and metric_cadence, which --snapshots runs too."""
    with store_queries(scope.store) as q:
        q.define("model_roots", "SELECT snapshot_id, model_id, depth, publisher_org, root_org FROM origins "
                                f"WHERE snapshot_id IN ({scope.sid_list})")
        q.define("credit", "SELECT c.snapshot_id, c.model_id, m.created_at, c.grp, c.w "
                           "FROM mc_credit c JOIN mc_m m USING (snapshot_id, model_id)")
        q.run(["metric_cadence"], {"snapshot": -1})
        rows = grp_as(q.rows(CADENCE_ROWS), key.name)
    return rows, [key.note, *CADENCE_NOTES]


# the metric's rows in one order on every engine and path, and what they mean
CADENCE_ROWS = ("SELECT month, grp, releases, share FROM metric_cadence "
                "ORDER BY month NULLS LAST, releases DESC, grp NULLS LAST")
CADENCE_NOTES = ("first-party release = a model with no parent, or published by the organisation that owns its root "
                 "(e.g. an instruct tune in the base developer's namespace); month = createdAt month",
                 "share = the group's share of the month's first-party releases")
