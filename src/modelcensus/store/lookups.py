"""Look-ups of one model (or a few) in a snapshot: the reads behind ``lineage.origin`` and the audit.

Single-model views ask the store small questions many times: a model's origins rows, a node's parent edges,
its stored spelling, its descendants. Their SQL runs here, on the store's connection, every value bound.

A look-up by one id has two forms (``ID_ALONE``, ``ONE_WHERE``; both return the same rows). Which one is faster
depends on the store's look-up indexes and its number of built snapshots; the lineage layer makes that choice
(``lineage.origin._by_id_alone``, from :func:`lookup_facts`; the measurements are in the comment above
``_ID_ALONE_MAX_SNAPSHOTS`` there and in benchmarks/RESULTS.md "Single-model look-ups") and passes it in.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from modelcensus.store.lineage_tables import LOOKUP_INDEXES, PRESENT_LOOKUP_INDEXES
from modelcensus.store.store import Store

ORIGIN_COLS = ("root_id, root_org, root_country, weight, depth, grade, publisher_namespace, publisher_org, "
               "publisher_country, publisher_org_type, teacher_id, teacher_org, teacher_country, problems")
EDGE_COLS = "child_id, parent_id, relation, inferred, grade, evidence, structural"
# the id alone: DuckDB serves a lone equality on an indexed column from its ART index, and the asked snapshot's
# rows are kept in Python; one WHERE: snapshot and id together (a row-group scan, unless the store holds one
# snapshot). The first column tells which snapshot a row is of (NULL: already filtered)
ID_ALONE = "SELECT snapshot_id, {cols} FROM {table} WHERE {key} = ?"
ONE_WHERE = "SELECT NULL, {cols} FROM {table} WHERE snapshot_id = ? AND {key} = ?"

# the columns of a model's row an audit dossier reads
AUDIT_ROW_COLS = ("id", "author", "license", "tags", "gated", "files", "config", "card_data", "sha", "base_models",
                  "base_model_relation", "model_type", "architectures", "gguf", "library_name")


# the look-up form each Store object uses, chosen on its first look-up (``lineage.origin._by_id_alone``); a build
# forgets the entry of its store (``lineage.build.ensure_built``): it may have dropped or made the indexes, and a
# stale id-alone choice without them scans every snapshot's rows (32 against 4.6 ms on a 3-snapshot store, review37)
LOOKUP_FORMS: WeakKeyDictionary[Store, bool] = WeakKeyDictionary()


class LookupFacts(NamedTuple):
    """What the faster look-up form depends on (see the module docstring)."""

    all_indexes: bool      # every look-up index (``lineage_tables.LOOKUP_INDEXES``) exists
    built_snapshots: int   # rows of ``lineage_builds``


def lookup_facts(store: Store) -> LookupFacts | None:
    """Whether the look-up indexes exist and how many snapshots are built, in one query: the lineage layer picks
    the look-up form from them once per store."""
    row = store._one(f"SELECT ({PRESENT_LOOKUP_INDEXES}), (SELECT count(*) FROM lineage_builds)")
    return None if row is None else LookupFacts(row[0] == len(LOOKUP_INDEXES), row[1])


def _keyed_rows(store: Store, sid: int, table: str, key: str, cols: str, value: str, *, by_id_alone: bool,
                order: str = "") -> list[tuple]:
    """The rows of ``table`` whose ``key`` is ``value`` in snapshot ``sid``, in the given look-up form
    (``table``, ``key``, ``cols`` and ``order`` are this module's constants, never caller text)."""
    params: list[int | str]
    if by_id_alone:
        sql, params = ID_ALONE.format(cols=cols, table=table, key=key), [value]
    else:
        sql, params = ONE_WHERE.format(cols=cols, table=table, key=key), [sid, value]
    rows = store.con.execute(sql + order, params).fetchall()
    return [r[1:] for r in rows if r[0] is None or r[0] == sid]


def origin_rows(store: Store, sid: int, model: str, *, by_id_alone: bool) -> list[tuple]:
    """The model's ``origins`` rows in snapshot ``sid`` (columns ``ORIGIN_COLS``), strongest root first: an origin
    document is made of them."""
    return _keyed_rows(store, sid, "origins", "model_id", ORIGIN_COLS, model, by_id_alone=by_id_alone,
                       order=" ORDER BY weight DESC, root_id")


def parent_edge_rows(store: Store, sid: int, node: str, *, by_id_alone: bool) -> list[tuple]:
    """Every parent edge of ``node`` in snapshot ``sid`` (columns ``EDGE_COLS``), in no set order (the walk sorts
    them): one step of an ancestry walk."""
    return _keyed_rows(store, sid, "edges", "child_id", EDGE_COLS, node, by_id_alone=by_id_alone)


def find_model_id(store: Store, sid: int, model_id: str) -> str | None:
    """The stored spelling of a model the snapshot observed, matched case-insensitively (None: not observed), so a
    view answers for ``qwen/qwen2.5-7b`` as for ``Qwen/Qwen2.5-7B``."""
    row = store._one("SELECT id FROM models WHERE snapshot_id = ? AND id_lower = lower(?)", [sid, model_id])
    return None if row is None else row[0]


def find_referenced_parent(store: Store, sid: int, model_id: str) -> str | None:
    """The stored spelling of a model the snapshot only names as a parent, matched case-insensitively (the first
    spelling when edges spell it several ways; None: no edge names it): such a model is still a lineage node."""
    row = store._one("SELECT parent_id FROM edges WHERE snapshot_id = ? AND lower(parent_id) = lower(?) "
                     "ORDER BY parent_id LIMIT 1", [sid, model_id])
    return None if row is None else row[0]


def observed_ids(store: Store, sid: int, model_ids: list[str]) -> set[str]:
    """Which of these exact ids the snapshot observed (has a ``models`` row for): an ancestor edge says whether its
    parent is in the snapshot."""
    return {r[0] for r in store.con.execute("SELECT id FROM models WHERE snapshot_id = ? AND id IN (SELECT unnest(?))",
                                            [sid, model_ids]).fetchall()}


def descendants(store: Store, sid: int, model: str, shown: int, max_depth: int) -> dict[str, Any]:
    """Every descendant of ``model`` in snapshot ``sid`` down to ``max_depth`` levels (each counted once), the
    first ``shown`` listed, nearest and most downloaded first: the lineage view's lower half, walked level by
    level in a TEMP table so a huge family never comes into Python."""
    con = store.con
    con.execute("CREATE OR REPLACE TEMP TABLE _desc (child_id VARCHAR, parent_id VARCHAR, relation VARCHAR, "
                "inferred BOOLEAN, grade VARCHAR, evidence VARCHAR, depth INTEGER)").fetchall()
    # one edge per descendant, the same in every store (a build writes rows in no fixed order): the edge the root
    # walk follows (structural) first, a declared one before an inferred one among those; among edges it does
    # not follow, the inferred one (a declared edge is not followed when the config contradicts it, and the
    # build's own reading, e.g. the likely teacher, is the one to count: review27 I-1); then by parent and text.
    # A child with two edges to one parent is one descendant, counted under one relation (review26 P2: counts
    # differed between stores; review27 R27-3: depth 1 counted both)
    pick = ("NOT coalesce(structural, TRUE), CASE WHEN coalesce(structural, TRUE) THEN inferred ELSE NOT inferred "
            "END, parent_id, relation, grade, evidence")
    con.execute(f"""INSERT INTO _desc SELECT DISTINCT ON (child_id) child_id, parent_id, relation, inferred, grade,
                       evidence, 1 FROM edges
                    WHERE snapshot_id = ? AND parent_id = ? AND child_id <> ?
                    ORDER BY child_id, {pick}""", [sid, model, model]).fetchall()
    depth = 1
    while depth < max_depth:
        con.execute(f"""
            INSERT INTO _desc
            SELECT DISTINCT ON (e.child_id) e.child_id, e.parent_id, e.relation, e.inferred, e.grade, e.evidence, ?
            FROM edges e JOIN (SELECT DISTINCT child_id FROM _desc WHERE depth = ?) f ON e.parent_id = f.child_id
            WHERE e.snapshot_id = ? AND e.child_id <> ?
              AND e.child_id NOT IN (SELECT child_id FROM _desc)
            ORDER BY e.child_id, {pick}
        """, [depth + 1, depth, sid, model]).fetchall()
        added = con.execute("SELECT count(*) FROM _desc WHERE depth = ?", [depth + 1]).fetchall()[0][0]
        if not added:
            break
        depth += 1
    # the walk stops at max_depth levels: say so when a deeper level exists, never count it silently short
    capped = depth >= max_depth and con.execute("""
        SELECT count(*) FROM edges e JOIN (SELECT DISTINCT child_id FROM _desc WHERE depth = ?) f
          ON e.parent_id = f.child_id
        WHERE e.snapshot_id = ? AND e.child_id <> ? AND e.child_id NOT IN (SELECT child_id FROM _desc)
    """, [depth, sid, model]).fetchall()[0][0] > 0
    total = con.execute("SELECT count(DISTINCT child_id) FROM _desc").fetchall()[0][0]
    by_rel = dict(con.execute("SELECT relation, count(*) FROM _desc GROUP BY 1 ORDER BY 1").fetchall())
    by_depth = {str(d): n for d, n in con.execute("SELECT depth, count(DISTINCT child_id) FROM _desc GROUP BY 1 "
                                                  "ORDER BY 1").fetchall()}
    rows = con.execute("""
        SELECT d.child_id, d.parent_id, d.relation, d.inferred, d.grade, d.evidence, d.depth, m.downloads_30d
        FROM _desc d LEFT JOIN models m ON m.snapshot_id = ? AND m.id = d.child_id
        -- one row per descendant (a child with two edges to its parent, e.g. declared and inferred, is one
        -- descendant): 'shown' then never exceeds 'total', and truncated = total > shown is exact
        QUALIFY row_number() OVER (PARTITION BY d.child_id ORDER BY d.depth, d.inferred, d.parent_id, d.relation) = 1
        ORDER BY d.depth, m.downloads_30d DESC NULLS LAST, d.child_id LIMIT ?""", [sid, shown]).fetchall()
    con.execute("DROP TABLE IF EXISTS _desc").fetchall()
    listed = [{"id": c, "parent": p, "relation": r, "inferred": bool(i), "grade": g, "evidence": e, "depth": d,
               "downloads_30d": dl} for c, p, r, i, g, e, d, dl in rows]
    return {"total": int(total), "by_relation": by_rel, "by_depth": by_depth, "shown": listed,
            "truncated": total > len(listed), "depth_capped": bool(capped)}


# -- a few models at once, for the audit ---------------------------------------------------------------------


def model_rows(store: Store, sid: int, model_ids: list[str]) -> list[dict[str, Any]]:
    """The stored rows (``AUDIT_ROW_COLS``, JSON columns as stored) of the given models in snapshot ``sid``,
    matched case-insensitively, in one scan: an audit of an inventory reads every Hub target's row at once."""
    found = store._exec(f"SELECT {', '.join(AUDIT_ROW_COLS)} FROM models WHERE snapshot_id = ? "
                        "AND list_contains(?, id_lower)",
                        [sid, sorted({m.lower() for m in model_ids})]).fetchall()
    return [dict(zip(AUDIT_ROW_COLS, r, strict=True)) for r in found]


def licence_inputs(store: Store, sid: int, model_ids: list[str]) -> list[tuple[str, Any, Any]]:
    """(lower-cased id, license, card_data) of the given models in snapshot ``sid``, in one scan: what a model's
    effective licence is read from, for every model on an audited root path."""
    rows = store._exec("SELECT id_lower, license, card_data FROM models WHERE snapshot_id = ? "
                       "AND list_contains(?, id_lower)", [sid, [i.lower() for i in model_ids]]).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def parent_edges_of(store: Store, sid: int, children: list[str]) -> list[tuple]:
    """(child, parent, both lower-cased, relation, grade, inferred, evidence) of every parent edge of the given
    models in snapshot ``sid``, in one scan: the evidence an audit dossier shows for each hop of a root path."""
    return store._exec(
        "SELECT lower(child_id), lower(parent_id), relation, grade, inferred, evidence FROM edges "
        "WHERE snapshot_id = ? AND list_contains(?, lower(child_id))",
        [sid, [c.lower() for c in children]]).fetchall()
