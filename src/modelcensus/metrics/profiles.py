"""Profiles of one organisation or family in one snapshot: what the dashboard's org and family pages show.

Set-based queries over the built lineage (``origins``, ``edges``) and ``models``: derivatives
credited to the organisation's (or family's) roots counted by the relation that links each
derivative to its parent, and the licence mix of those derivatives.
"""

from __future__ import annotations

from typing import Any, Literal

from modelcensus.metrics.queries import store_rows
from modelcensus.store import Store
from modelcensus.store.sql import sql_literal

Subject = Literal["org", "family"]
_COLUMN = {"org": "root_org", "family": "family"}


def _where(subject: Subject, snapshot_id: int, key: str) -> str:
    """The subject's origins rows; the values spliced in as literals (the engine seam takes no parameters)."""
    return f"o.snapshot_id = {int(snapshot_id)} AND o.{_COLUMN[subject]} = {sql_literal(str(key))}"


def derivatives_by_relation(store: Store, snapshot_id: int, subject: Subject, key: str) -> list[dict[str, Any]]:
    """Models below the subject's roots (depth > 0), by the relation of their structural parent edge.

    A model reached through several roots of the subject counts once; its credit is its origin weight."""
    rows = store_rows(store, f"""
        WITH credited AS (
            SELECT o.model_id, fsum(o.weight) AS weight FROM origins o
            WHERE {_where(subject, snapshot_id, key)} AND o.depth > 0 GROUP BY o.model_id),
        first_edge AS (
            SELECT e.child_id, min(e.relation) AS relation FROM edges e
            WHERE e.snapshot_id = {int(snapshot_id)} AND e.structural
              AND e.child_id IN (SELECT model_id FROM credited)
            GROUP BY e.child_id)
        SELECT coalesce(f.relation, 'unknown') AS relation, count(*) AS models, fsum(c.weight) AS credited
        FROM credited c LEFT JOIN first_edge f ON f.child_id = c.model_id
        GROUP BY 1 ORDER BY models DESC, relation""")
    return [{"relation": r["relation"], "models": int(r["models"]), "credited": float(r["credited"])} for r in rows]


def licence_mix(store: Store, snapshot_id: int, subject: Subject, key: str) -> list[dict[str, Any]]:
    """Licences declared by the subject's roots and derivatives, with 30-day downloads (weighted)."""
    rows = store_rows(store, f"""
        SELECT coalesce(m.license, 'not declared') AS licence, count(DISTINCT o.model_id) AS models,
               fsum(o.weight * coalesce(m.downloads_30d, 0)) AS downloads
        FROM origins o JOIN models m ON m.snapshot_id = o.snapshot_id AND m.id = o.model_id
        WHERE {_where(subject, snapshot_id, key)}
        GROUP BY 1 ORDER BY downloads DESC, models DESC, licence LIMIT 100""")
    total = sum(float(r["downloads"] or 0) for r in rows) or 0.0
    return [{"licence": r["licence"], "models": int(r["models"]), "downloads": float(r["downloads"] or 0),
             "share": (float(r["downloads"] or 0) / total) if total else None} for r in rows]


def top_derivatives(store: Store, snapshot_id: int, subject: Subject, key: str, limit: int = 25
                    ) -> list[dict[str, Any]]:
    """The most downloaded models credited to the subject's roots (roots themselves included)."""
    rows = store_rows(store, f"""
        SELECT o.model_id AS model, max(o.depth) AS depth, fsum(o.weight) AS weight,
               max(m.downloads_30d) AS downloads_30d, any_value(m.author) AS publisher
        FROM origins o JOIN models m ON m.snapshot_id = o.snapshot_id AND m.id = o.model_id
        WHERE {_where(subject, snapshot_id, key)}
        GROUP BY o.model_id ORDER BY max(m.downloads_30d) DESC NULLS LAST, o.model_id LIMIT {int(limit)}""")
    return [{"model": r["model"], "depth": int(r["depth"]), "weight": float(r["weight"]),
             "downloads_30d": r["downloads_30d"], "publisher": r["publisher"]} for r in rows]
