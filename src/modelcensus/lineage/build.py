"""Build the ``edges`` and ``origins`` tables of one snapshot, once per registry version.

Everything here is set-based: edges (``edges.py``) and roots (``roots.py``) are SQL over the
whole snapshot; this module wires them together, adds publisher/root/teacher attribution from
the registry tables and writes the result in one transaction.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb

from modelcensus.lineage.edges import build_edges, drop_temp
from modelcensus.lineage.grades import GRADES, grade_name_sql, grade_rank_sql
from modelcensus.lineage.registry import Registry
from modelcensus.lineage.roots import resolve_roots
from modelcensus.lineage.stated import stated_digest
from modelcensus.lineage.teachers import teachers_digest
from modelcensus.store import Store
from modelcensus.store.store import Snapshot


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> list[tuple]:
    return con.execute(sql, params).fetchall() if params is not None else con.execute(sql).fetchall()


# Bumped whenever the build's rules change, so stores built by older code are rebuilt (stored after the
# registry version in lineage_builds.registry_version: "<registry version>~lineage<N>").
# The teacher list is part of the rules: editing data/teachers.yaml rebuilds lineage too.
BUILD_RULES = "4"
_SUFFIX = f"~lineage{BUILD_RULES}.{teachers_digest()}.{stated_digest()}"
WEAKEST = len(GRADES) - 1


LOOKUP_INDEXES = ("CREATE INDEX IF NOT EXISTS lineage_edges_child ON edges (child_id)",
                  "CREATE INDEX IF NOT EXISTS lineage_origins_model ON origins (model_id)")


def built_version(store: Store, snapshot_id: int) -> tuple[str, int] | None:
    """(registry version, model count) the snapshot's lineage was built with, or None if never built.

    A build by older rules reports its raw stored version, which matches no registry version."""
    row = store._one("SELECT registry_version, stats FROM lineage_builds WHERE snapshot_id = ?", [snapshot_id])
    if row is None:
        return None
    version = row[0][: -len(_SUFFIX)] if row[0] and row[0].endswith(_SUFFIX) else row[0]
    return version, int(json.loads(row[1]).get("models", -1)) if row[1] else -1


def ensure_lineage(store: Store, snapshot_id: int, registry: Registry, *, force: bool = False) -> dict[str, Any]:
    """Fill ``edges`` and ``origins`` for ``snapshot_id`` unless already built with this registry version
    (and the snapshot still has the row count it had then).

    Returns the build statistics (``built`` says whether this call built them). One transaction:
    a failure leaves the previous build (or none) in place.
    """
    return ensure_built(store, store.snapshot(snapshot_id), registry, force=force)


def ensure_built(store: Store, snap: Snapshot, registry: Registry, *, force: bool = False) -> dict[str, Any]:
    """``ensure_lineage`` for a snapshot already looked up: one read of its ``lineage_builds`` row when built."""
    row = store._one("SELECT registry_version, stats FROM lineage_builds WHERE snapshot_id = ?", [snap.id])
    stats = json.loads(row[1]) if row and row[1] else {}
    # same registry and same rows (a partial crawl snapshot may have grown since): nothing to do
    if row and row[0] == registry.version + _SUFFIX and stats.get("models") == snap.row_count and not force:
        return {**stats, "built": False}
    with store.transaction() as con:
        stats = _build(con, snap.id, registry)
        con.execute("DELETE FROM lineage_builds WHERE snapshot_id = ?", [snap.id])
        con.execute("INSERT INTO lineage_builds VALUES (?, ?, ?, ?)",
                    [snap.id, datetime.now(UTC), registry.version + _SUFFIX, json.dumps(stats)])
        # single-model views (origin, lineage, audit) look rows up by model id: ART indexes make that a
        # point look-up (~1 ms at 2.2M models) instead of a row-group scan; kept up to date incrementally
        for stmt in LOOKUP_INDEXES:
            con.execute(stmt)
    return {**stats, "built": True}


def _build(con: duckdb.DuckDBPyConnection, sid: int, registry: Registry) -> dict[str, Any]:
    registry.to_duckdb(con)
    edge_stats = build_edges(con, sid, registry)
    # one spelling per dangling parent (children may declare it in different cases)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_edges2 AS
        SELECT e.child_id,
               CASE WHEN m.id IS NULL THEN min(e.parent_id) OVER (PARTITION BY lower(e.parent_id))
                    ELSE e.parent_id END AS parent_id,
               e.relation, e.inferred, e.grade, e.evidence, e.structural
        FROM _lin_edges e LEFT JOIN _lin_m m ON m.id = e.parent_id
    """)
    con.execute("DELETE FROM edges WHERE snapshot_id = ?", [sid])
    con.execute(f"""
        INSERT INTO edges (snapshot_id, child_id, parent_id, relation, inferred, grade, evidence, structural)
        SELECT {sid}, child_id, parent_id, relation, inferred, grade, evidence, structural FROM _lin_edges2
        ORDER BY child_id, parent_id   -- sorted: single-model look-ups read one row group (zone maps)
    """)
    # intern ids: every model of the snapshot, then dangling parents
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_key AS
        SELECT name, CAST(row_number() OVER () AS INTEGER) AS k FROM (
            SELECT id AS name, 0 AS src FROM _lin_m
            UNION ALL
            SELECT DISTINCT e.parent_id, 1 FROM _lin_edges2 e ANTI JOIN _lin_m m ON m.id = e.parent_id
            WHERE e.structural
        )
    """)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_ek AS
        SELECT kc.k AS c, kp.k AS p, CAST(min({grade_rank_sql('e.grade')}) AS TINYINT) AS g
        FROM _lin_edges2 e JOIN _lin_key kc ON kc.name = e.child_id JOIN _lin_key kp ON kp.name = e.parent_id
        WHERE e.structural AND kc.k <> kp.k
        GROUP BY kc.k, kp.k
    """)
    drop_temp(con, "_lin_edges")
    root_stats = resolve_roots(con, "_lin_ek", "_lin_roots")
    if root_stats.cycle_edges:  # the walk did not follow them: say so on the edge itself
        con.execute(f"""
            UPDATE edges SET structural = FALSE, evidence = evidence || '; closes a cycle (not followed)'
            FROM (SELECT kc.name AS c, kp.name AS p FROM _lin_roots_cycle_edges x
                  JOIN _lin_key kc ON kc.k = x.c JOIN _lin_key kp ON kp.k = x.p) y
            WHERE edges.snapshot_id = {sid} AND edges.child_id = y.c AND edges.parent_id = y.p
        """)
    _teachers(con)
    _origins(con, sid)
    stats = _stats(con, sid, edge_stats, root_stats.as_dict())
    # nothing TEMP outlives the build: the store's connection stays small for what runs next
    leftovers = [r[0] for r in _rows(con, "SELECT table_name FROM duckdb_tables() WHERE temporary "
                                          "AND (starts_with(table_name, '_lin_') OR starts_with(table_name, '_rt_'))")]
    drop_temp(con, *leftovers)
    return stats


def _teachers(con: duckdb.DuckDBPyConnection) -> None:
    """TEMP ``_lin_teacher(model_id, teacher_id, evidence)``: the nearest distillation teacher.

    A model's own teacher edge wins; otherwise the teacher of the nearest structural ancestor
    that has one (the root walk again, stopped at models that name a teacher).
    """
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_own_teacher AS
        WITH e AS (   -- a statement in the card (or the publisher's, stated-bases list) first, then a contradicted
                      -- declaration, trace datasets, the teacher part of a distill name, a teacher named elsewhere
            SELECT child_id, parent_id, evidence,
                   CASE WHEN starts_with(evidence, 'card text') OR starts_with(evidence, 'card (publisher') THEN 0
                        WHEN starts_with(evidence, 'card base_model') THEN 1
                        WHEN starts_with(evidence, 'card') THEN 2
                        WHEN contains(evidence, ' names a distillation and its teacher ') THEN 4 ELSE 3 END AS rk,
                   -- trace datasets: how many of the card's listed sets are this teacher's (', '-separated)
                   len(string_split(regexp_extract(evidence, '^card datasets: ([^(]*)', 1), ', ')) AS n
            FROM _lin_edges2 WHERE relation = 'distillation'
        ),
        best AS (SELECT child_id, min(rk) AS rk FROM e GROUP BY child_id),
        top AS (   -- at the best rank, the largest dataset count; a tie between teachers names none
            SELECT e.child_id, max(e.n) AS n, count(*) FILTER (WHERE e.rk = 2) AS k FROM e
            JOIN best b ON b.child_id = e.child_id AND b.rk = e.rk GROUP BY e.child_id
        ),
        tied AS (
            SELECT e.child_id FROM e JOIN best b ON b.child_id = e.child_id AND b.rk = e.rk
            JOIN top t ON t.child_id = e.child_id
            WHERE e.rk = 2 AND e.n = t.n GROUP BY e.child_id HAVING count(*) > 1
        )
        SELECT e.child_id AS model_id, e.parent_id AS teacher_id,
               CASE WHEN starts_with(e.evidence, 'card') THEN 'card' ELSE 'name' END AS evidence
        FROM e JOIN best b ON b.child_id = e.child_id AND b.rk = e.rk
        ANTI JOIN tied ON tied.child_id = e.child_id
        QUALIFY row_number() OVER (PARTITION BY e.child_id ORDER BY e.n DESC, e.parent_id) = 1
    """)
    n = _rows(con, "SELECT count(*) FROM _lin_own_teacher")[0][0]
    con.execute("CREATE OR REPLACE TEMP TABLE _lin_teacher (model_id VARCHAR, teacher_id VARCHAR, evidence VARCHAR)")
    if not n:
        return
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_tk AS
        SELECT e.c, e.p, e.g FROM _lin_ek e
        ANTI JOIN (SELECT k.k FROM _lin_own_teacher t JOIN _lin_key k ON k.name = t.model_id) s ON s.k = e.c
    """)
    resolve_roots(con, "_lin_tk", "_lin_troots")
    con.execute("""
        INSERT INTO _lin_teacher
        SELECT model_id, teacher_id, evidence FROM _lin_own_teacher
        UNION ALL
        SELECT kc.name, t.teacher_id, t.evidence
        FROM _lin_troots r JOIN _lin_key kc ON kc.k = r.c JOIN _lin_key kp ON kp.k = r.p
        JOIN _lin_own_teacher t ON t.model_id = kp.name
        ANTI JOIN _lin_own_teacher o ON o.model_id = kc.name
        QUALIFY row_number() OVER (PARTITION BY kc.name ORDER BY r.d, t.teacher_id) = 1
    """)


def _ns_sql(col: str) -> str:
    return f"CASE WHEN contains({col}, '/') THEN lower(split_part({col}, '/', 1)) END"


def _origins(con: duckdb.DuckDBPyConnection, sid: int) -> None:
    """One ``origins`` row per (model, root), with publisher, root, teacher and problems."""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _lin_r AS
        SELECT kc.name AS model_id, kr.name AS root_id, r.w AS weight, r.d AS depth, r.g AS g, r.f AS cyc
        FROM _lin_roots r JOIN _lin_key kc ON kc.k = r.c JOIN _lin_key kr ON kr.k = r.p
        SEMI JOIN _lin_m m ON m.id = kc.name   -- referenced-only nodes get no row (origin() answers for them)
        UNION ALL
        -- a model that is its own root: nothing was inferred (grade declared), unless what it declared was
        -- invalid or contradicted: then its lineage is unknown, and says so with the weakest grade
        SELECT m.id, m.id, 1.0, 0, CASE WHEN p.model_id IS NOT NULL THEN {WEAKEST} ELSE 0 END, FALSE FROM _lin_m m
        ANTI JOIN (SELECT DISTINCT child_id FROM _lin_edges2 WHERE structural) e ON e.child_id = m.id
        LEFT JOIN (SELECT DISTINCT model_id FROM _lin_problems
                   WHERE problem IN ('invalid_declaration', 'declared_base_contradicts_config')) p
          ON p.model_id = m.id
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_cycle_nodes AS
        SELECT DISTINCT k.name AS model_id FROM _lin_roots_cycle_edges x JOIN _lin_key k ON k.k = x.c
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_ns AS
        SELECT m.id AS model_id,
               coalesce(CASE WHEN contains(m.id, '/') THEN split_part(m.id, '/', 1) END,
                        split_part(a.canonical_id, '/', 1)) AS namespace
        FROM (SELECT DISTINCT model_id AS id FROM _lin_r UNION SELECT DISTINCT root_id FROM _lin_r
              UNION SELECT DISTINCT teacher_id FROM _lin_teacher) m
        LEFT JOIN reg_model_aliases a ON a.model_id_lower = lower(m.id)
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_who AS
        SELECT n.model_id, n.namespace, r.org, r.country, r.org_type, r.org_key
        FROM _lin_ns n LEFT JOIN reg_namespaces r ON r.namespace_lower = lower(n.namespace)
    """)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE _lin_root_family AS
        SELECT w.model_id AS root_id,
               coalesce(min(fr.family), min(f.family) FILTER (WHERE regexp_matches(lower(w.model_id), fn.pattern)))
                 AS family
        FROM _lin_who w
        LEFT JOIN reg_family_roots fr ON fr.model_id_lower = lower(w.model_id)
        LEFT JOIN reg_families f ON f.root_org = w.org_key
        LEFT JOIN _lin_fam_names fn ON fn.family = f.family
        GROUP BY w.model_id
    """)
    con.execute("DELETE FROM origins WHERE snapshot_id = ?", [sid])
    con.execute(f"""
        INSERT INTO origins
        SELECT {sid}, r.model_id,
               p.namespace, p.org, p.country, p.org_type,
               r.root_id, ro.org, ro.country, ro.org_type,
               r.weight, r.depth, {grade_name_sql('r.g')}, rf.family,
               t.teacher_id, tw.org, tw.country,
               list_filter([
                   CASE WHEN r.cyc OR cn.model_id IS NOT NULL THEN 'cycle' END,
                   CASE WHEN m.id IS NULL AND fr.model_id_lower IS NULL THEN 'missing_parent:' || r.root_id END
               ], lambda x: x IS NOT NULL) || coalesce(pr.problems, [])
        FROM _lin_r r
        LEFT JOIN _lin_who p ON p.model_id = r.model_id
        LEFT JOIN _lin_who ro ON ro.model_id = r.root_id
        LEFT JOIN _lin_root_family rf ON rf.root_id = r.root_id
        LEFT JOIN _lin_teacher t ON t.model_id = r.model_id
        LEFT JOIN _lin_who tw ON tw.model_id = t.teacher_id
        LEFT JOIN _lin_m m ON m.id = r.root_id
        LEFT JOIN (SELECT DISTINCT model_id_lower FROM reg_family_roots) fr ON fr.model_id_lower = lower(r.root_id)
        LEFT JOIN _lin_cycle_nodes cn ON cn.model_id = r.root_id
        LEFT JOIN (SELECT model_id, list(DISTINCT problem ORDER BY problem) AS problems FROM _lin_problems
                   GROUP BY model_id) pr ON pr.model_id = r.model_id
        ORDER BY r.model_id   -- sorted: origin() reads one row group (zone maps)
    """)


def _stats(con: duckdb.DuckDBPyConnection, sid: int, edge_stats: dict[str, Any],
           root_stats: dict[str, Any]) -> dict[str, Any]:
    """Counts and coverage: what share of models and of 30-day downloads has a resolved root country."""
    (models, root_cov, dl_total, dl_cov, pub_cov, with_parent, missing, cycles, ambiguous, invalid,
     contradicted) = _rows(con, f"""
        WITH o AS (SELECT * FROM origins WHERE snapshot_id = {sid}),
        m AS (SELECT id, coalesce(downloads_30d, 0) AS dl FROM models WHERE snapshot_id = {sid})
        SELECT (SELECT count(*) FROM m),
               (SELECT sum(weight) FILTER (WHERE root_country IS NOT NULL) FROM o),
               (SELECT sum(dl) FROM m),
               (SELECT sum(o.weight * m.dl) FILTER (WHERE o.root_country IS NOT NULL)
                FROM o JOIN m ON m.id = o.model_id),
               (SELECT count(DISTINCT model_id) FILTER (WHERE publisher_country IS NOT NULL) FROM o),
               (SELECT count(DISTINCT model_id) FILTER (WHERE depth > 0) FROM o),
               (SELECT count(DISTINCT model_id) FROM o
                WHERE len(list_filter(problems, lambda x: starts_with(x, 'missing_parent'))) > 0),
               (SELECT count(DISTINCT model_id) FROM o WHERE list_contains(problems, 'cycle')),
               (SELECT count(DISTINCT model_id) FROM o WHERE list_contains(problems, 'ambiguous_signature')),
               (SELECT count(DISTINCT model_id) FROM o WHERE list_contains(problems, 'invalid_declaration')),
               (SELECT count(DISTINCT model_id) FROM o
                WHERE list_contains(problems, 'declared_base_contradicts_config'))
    """)[0]
    return {
        "snapshot_id": sid, "models": models, "models_with_parent": with_parent,
        "edges": edge_stats, "roots": root_stats,
        "coverage": {
            "root_country_models": (root_cov or 0) / models if models else None,
            "root_country_downloads_30d": (dl_cov or 0) / dl_total if dl_total else None,
            "publisher_country_models": pub_cov / models if models else None,
        },
        "problems": {"missing_parent": missing, "cycle": cycles, "ambiguous_signature": ambiguous,
                     "invalid_declaration": invalid, "declared_base_contradicts_config": contradicted},
    }
