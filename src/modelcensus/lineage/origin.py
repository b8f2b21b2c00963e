"""Single-model views over a built snapshot: ``origin`` (design.md's origin JSON) and ``lineage``.

These are the only places lineage walks in Python: one model's ancestry is small, and the
walks are bounded (visited sets, node caps) so a hostile or huge graph cannot run away.
"""

from __future__ import annotations

from typing import Any

from modelcensus.errors import InputError, NotFoundError
from modelcensus.lineage.build import ensure_built
from modelcensus.lineage.grades import weakest
from modelcensus.lineage.registry import Registry
from modelcensus.lineage.teachers import CONTRADICTED_TEACHER
from modelcensus.store import Store
from modelcensus.store.lookups import (
    LOOKUP_FORMS,
    descendants,
    find_model_id,
    find_referenced_parent,
    lookup_facts,
    observed_ids,
    origin_rows,
    parent_edge_rows,
)
from modelcensus.store.store import Snapshot

MAX_ID_LEN = 256
MAX_WALK = 5_000          # nodes visited when reconstructing paths / ancestors
MAX_DESC_DEPTH = 50
DEFAULT_SHOWN = 200       # descendants listed; counts always cover all of them


# Two forms of a look-up by one id. DuckDB serves a lone equality on an indexed column from its ART index, but
# with ``snapshot_id = ?`` in the same WHERE it scans row groups (zone maps) instead, unless the store holds one
# snapshot, whose statistics drop that filter. The id alone fetches the model's rows of every snapshot and keeps
# the asked one here, so it wins on a few snapshots and loses on many, and without the index it scans everything.
# Measured (benchmarks/bench_lookups.py and review9's scratch runs, medians of 100-200 ids): one WHERE against id
# alone, origins: a built store of 3 snapshots of ~290K models 20.5 against 4.2 ms (edges 10.4 against 2.3);
# 2 x 300K 6.3 against 2.3; 20 x 100K 5.6 against 5.0; 30 x 200K 3.7 against 4.9; 100 x 20K 5.5 against 10.3 (101 ms
# without the index). So the id alone is used only with both look-up indexes and 2 to ``_ID_ALONE_MAX_SNAPSHOTS``
# built snapshots (benchmarks/RESULTS.md). Both forms' SQL runs in store/lookups.py (``ID_ALONE``, ``ONE_WHERE``).
_ID_ALONE_MAX_SNAPSHOTS = 20
# the form per Store object, decided on its first look-up and forgotten by a build of that store (both forms return
# the same rows; a stale one costs speed only)
_FORMS = LOOKUP_FORMS


def teacher_evidence(edge_evidence: Any) -> str:
    """How an origin's teacher is known: ``card`` when a declaration names it (the card's text or base_model, the
    stated-bases list, or any declared base the config ruled out: a Hub tag or GGUF metadata declares too,
    review22 R22-6; the card's trace datasets), else ``name`` (the teacher list matched the model's name).
    The marker is ``teachers.CONTRADICTED_TEACHER``."""
    text = str(edge_evidence or "")
    return "card" if text.startswith("card") or CONTRADICTED_TEACHER in text else "name"


def _by_id_alone(store: Store) -> bool:
    """Whether this store's look-ups go by the id alone: both look-up indexes present and 2 to 20 built snapshots
    (one query per Store object, see the comment above ``_ID_ALONE_MAX_SNAPSHOTS``)."""
    if store not in _FORMS:
        facts = lookup_facts(store)
        _FORMS[store] = (facts is not None and facts.all_indexes
                         and 1 < facts.built_snapshots <= _ID_ALONE_MAX_SNAPSHOTS)
    return _FORMS[store]


def _origin_rows(store: Store, sid: int, model: str) -> list[tuple]:
    """The model's origins rows, strongest root first, in the faster form for this store (see
    ``_ID_ALONE_MAX_SNAPSHOTS``)."""
    return origin_rows(store, sid, model, by_id_alone=_by_id_alone(store))


def _snapshot_and_model(store: Store, model_id: Any, snapshot: int | str | None,
                        registry: Registry) -> tuple[Snapshot, str, list[tuple]]:
    """(snapshot, stored spelling of the model, its origins rows); the exact spelling costs one query."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise InputError("model id: expected a Hub id such as Qwen/Qwen2.5-7B")
    if len(model_id) > MAX_ID_LEN:
        raise InputError(f"model id {model_id[:40]!r}...: longer than {MAX_ID_LEN} characters")
    snap = store.snapshot(snapshot)
    ensure_built(store, snap, registry)
    wanted = model_id.strip()
    rows = _origin_rows(store, snap.id, wanted)
    if rows:
        return snap, wanted, rows
    found = find_model_id(store, snap.id, wanted)
    if found is None:
        canon = registry.canonical_model_id(wanted)
        if canon.lower() != wanted.lower():
            found = find_model_id(store, snap.id, canon)
    if found is None:   # referenced as a parent but never observed: still a lineage node (no origins rows)
        for spelling in dict.fromkeys((wanted, registry.canonical_model_id(wanted))):
            parent = find_referenced_parent(store, snap.id, spelling)
            if parent is not None:
                return snap, parent, []
        raise NotFoundError(f"model {wanted!r}: not in snapshot {snap.id} (observed {snap.as_dict()['observed_at']})")
    return snap, found, _origin_rows(store, snap.id, found)


def _edges_of(store: Store, sid: int, node: str) -> list[tuple]:
    """All parent edges of one node (in the faster form, see ``_ID_ALONE_MAX_SNAPSHOTS``), by parent, relation,
    inferred and grade: a child may have two relations to one parent, and the walk shows the first, so the order
    must not be the scan's (review9)."""
    rows = parent_edge_rows(store, sid, node, by_id_alone=_by_id_alone(store))
    return sorted(rows, key=lambda r: (r[1], r[2], r[3], r[4]))


def _walk_up(store: Store, sid: int, model: str, *, structural_only: bool,
             roots: frozenset[str] = frozenset(),
             fetched: dict[str, list[tuple]] | None = None) -> tuple[dict[str, tuple], list[dict]]:
    """Breadth-first over parent edges: (first-seen parent link per node, every edge seen with its depth).

    ``roots``: nodes known to have no structural parent (the model's roots), not looked up on a structural
    walk. ``fetched`` collects each looked-up node's edges (all of them, structural or not)."""
    prev: dict[str, tuple] = {model: ()}
    seen_edges: list[dict] = []
    frontier, depth = [model], 0
    fetched = {} if fetched is None else fetched
    while frontier and len(prev) < MAX_WALK:
        if structural_only:
            frontier = [n for n in frontier if n not in roots]
            if not frontier:
                break
        depth += 1
        rows = []
        for node in sorted(set(frontier)):
            fetched[node] = _edges_of(store, sid, node)
            rows += fetched[node]
        nxt: list[str] = []
        for child, parent, relation, inferred, grade, evidence, structural in rows:
            if structural_only and not structural:
                continue
            seen_edges.append({"child": child, "parent": parent, "relation": relation, "inferred": bool(inferred),
                               "grade": grade, "evidence": evidence, "structural": bool(structural),
                               "depth": depth})
            if parent not in prev and (structural or not structural_only):
                prev[parent] = (child, relation)
                nxt.append(parent)
        frontier = nxt
    return prev, seen_edges


def _path(prev: dict[str, tuple], model: str, root: str) -> tuple[list[str], list[str]]:
    """Model -> root along first-seen (shortest) links, with the relation of each hop."""
    if root not in prev:
        return [model, root], ["?"]
    ids, rels, node, guard = [root], [], root, 0
    while prev.get(node) and guard < MAX_WALK:
        child, relation = prev[node]
        ids.append(child)
        rels.append(relation)
        node, guard = child, guard + 1
    ids.reverse()
    rels.reverse()
    return ids, rels


def _origin_doc(store: Store, snap: Snapshot, model: str,
                rows: list[tuple]) -> tuple[dict[str, Any], dict[str, tuple]]:
    fetched: dict[str, list[tuple]] = {}
    prev, _ = _walk_up(store, snap.id, model, structural_only=True, roots=frozenset(r[0] for r in rows),
                       fetched=fetched)
    first = rows[0]
    roots: list[dict[str, Any]] = []
    problems: set[str] = set()
    for root_id, org, country, weight, _depth, _grade, *_rest, probs in rows:
        path, rels = _path(prev, model, root_id)
        roots.append({"id": root_id, "org": org, "country": country, "weight": float(weight),
                      "path": path, "relations": rels})
        problems.update(probs or [])
    teacher = None
    if first[10]:
        # the distillation edge nearest to the model along its walk decides how the teacher is known
        evs = {e[0]: e[5] for node in prev for e in (fetched[node] if node in fetched
                                                      else _edges_of(store, snap.id, node))
               if e[2] == "distillation" and e[1] == first[10]}
        order = list(prev)
        nearest = min(evs, key=order.index) if evs else None
        how = teacher_evidence(evs[nearest]) if nearest else "name"
        teacher = {"id": first[10], "org": first[11], "country": first[12], "evidence": how}
    doc: dict[str, Any] = {
        "model": model,
        "snapshot": {"id": snap.id, "observed_at": snap.as_dict()["observed_at"], "source": snap.source},
        "publisher": {"namespace": first[6], "org": first[7], "country": first[8], "org_type": first[9]},
        "roots": roots,
        "teacher": teacher,
        "depth": max(int(r[4]) for r in rows),
        "grade": weakest([r[5] for r in rows]),
        "problems": sorted(problems),
    }
    if snap.synthetic:
        doc["synthetic"] = True
    return doc, prev


def _who(registry: Registry, model: str) -> tuple[str | None, Any]:
    ns = model.split("/", 1)[0] if "/" in model else None
    return ns, registry.lookup_model(model)


def _referenced_doc(store: Store, snap: Snapshot, node: str, registry: Registry,
                    seen: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The origin of a model the snapshot only references (a declared parent it does not hold).

    Its structural edges (a dangling re-upload mapped to its original) are followed to observed models, whose
    origins rows the build wrote; a node without edges is its own root, placed by its namespace. Marked
    ``"observed": false``. Bounded: each node once per walk, at most ``MAX_DESC_DEPTH`` referenced hops."""
    edges = _edges_of(store, snap.id, node)
    parents = [e for e in edges if e[6]]
    ns, info = _who(registry, node)
    roots: dict[str, dict[str, Any]] = {}
    grades, problems, depth, teacher = [], set(), 0, None
    for _, parent, relation, _inf, grade, _ev, _s in parents:
        if parent in seen or len(seen) >= MAX_DESC_DEPTH:
            continue
        rows = _origin_rows(store, snap.id, parent)
        sub = (_origin_doc(store, snap, parent, rows)[0] if rows
               else _referenced_doc(store, snap, parent, registry, seen | {node}))
        for r in sub["roots"]:
            got = roots.setdefault(r["id"], {**r, "weight": 0.0, "path": [node, *r["path"]],
                                             "relations": [relation, *r["relations"]]})
            got["weight"] += r["weight"] / len(parents)
        grades += [grade, sub["grade"]]
        problems.update(sub["problems"])
        depth = max(depth, sub["depth"] + 1)
        teacher = teacher or sub["teacher"]
    if not roots:
        roots[node] = {"id": node, "org": info.org if info else None, "country": info.country if info else None,
                       "weight": 1.0, "path": [node], "relations": []}
    own = sorted((e for e in edges if e[2] == "distillation"), key=lambda e: (teacher_evidence(e[5]) != "card", e[1]))
    if own:
        _, t_info = _who(registry, own[0][1])
        teacher = {"id": own[0][1], "org": t_info.org if t_info else None,
                   "country": t_info.country if t_info else None,
                   "evidence": teacher_evidence(own[0][5])}
    doc: dict[str, Any] = {
        "model": node,
        "snapshot": {"id": snap.id, "observed_at": snap.as_dict()["observed_at"], "source": snap.source},
        "publisher": {"namespace": ns, "org": info.org if info else None, "country": info.country if info else None,
                      "org_type": info.org_type if info else None},
        "roots": sorted(roots.values(), key=lambda r: (-r["weight"], r["id"])),
        "teacher": teacher,
        "depth": depth,
        "grade": weakest(grades),
        "problems": sorted(problems),
        "observed": False,   # referenced as a parent, never observed: no row of its own in this snapshot
    }
    if snap.synthetic:
        doc["synthetic"] = True
    return doc


def origin(store: Store, model_id: str, *, snapshot: int | str | None = None, registry: Registry) -> dict[str, Any]:
    """Where a model comes from: publisher, root(s) with weights and paths, teacher, grade, problems.

    Builds the snapshot's lineage first if needed. Ids match case-insensitively (renamed
    namespaces and legacy ids too); the stored spelling is returned. A model the snapshot only references
    as a parent answers too, with ``"observed": false``. NotFoundError names a model that is neither.
    """
    snap, model, rows = _snapshot_and_model(store, model_id, snapshot, registry)
    if not rows:
        return _referenced_doc(store, snap, model, registry)
    doc, _ = _origin_doc(store, snap, model, rows)
    return doc


def lineage(store: Store, model_id: str, *, snapshot: int | str | None = None, registry: Registry,
            shown: int = DEFAULT_SHOWN) -> dict[str, Any]:
    """``origin`` plus every ancestor edge (declared and inferred) and the descendants (counted, first
    ``shown`` listed, nearest and most downloaded first)."""
    snap, model, rows = _snapshot_and_model(store, model_id, snapshot, registry)
    doc = _origin_doc(store, snap, model, rows)[0] if rows else _referenced_doc(store, snap, model, registry)
    _, edges = _walk_up(store, snap.id, model, structural_only=False)
    present = observed_ids(store, snap.id, [e["parent"] for e in edges]) if edges else set()
    for e in edges:
        e["parent_in_snapshot"] = e["parent"] in present
    doc["ancestors"] = edges
    doc["descendants"] = descendants(store, snap.id, model, max(0, int(shown)), MAX_DESC_DEPTH)
    return doc
