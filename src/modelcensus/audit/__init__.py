"""Audit: a provenance dossier and a policy verdict for any model or inventory.

``audit()`` is the one library call behind ``modelcensus audit``. Each target (Hub id, local folder,
``.gguf``, ``.safetensors``, pickle file, or an inventory of them) becomes a :class:`Dossier`, or a
:class:`TargetError` when it cannot be read safely; one bad target never stops the others.
Exit code of a run: 2 when any target could not be read, else 1 when any verdict is fail, else 0.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from modelcensus.audit import limits
from modelcensus.audit.dossier import Dossier, build_from_record, build_local, compose_origin, json_field
from modelcensus.audit.filehash import HashBudget, hash_files
from modelcensus.audit.local import read_local
from modelcensus.audit.policy import Policy, evaluate, load_policy
from modelcensus.audit.targets import Target, TargetError, display_path, load_inventory, parse_target
from modelcensus.errors import InputError, NotFoundError
from modelcensus.store.lookups import licence_inputs, model_rows, parent_edges_of

__all__ = ["AuditReport", "Dossier", "Target", "TargetError", "audit", "load_policy"]

# errors a hostile file can provoke inside a reader: reported for that target, never a crash
READ_ERRORS = (InputError, OSError, ValueError, RecursionError, struct.error, UnicodeError, MemoryError, EOFError)


@dataclass
class AuditReport:
    """Dossiers, unreadable targets, the policy and the run's exit code."""

    dossiers: list[Dossier]
    errors: list[TargetError]
    policy: Policy | None  # None only for a report-only run (--policy none)
    registry_version: str
    snapshot: dict[str, Any] | None = None
    online: bool = False
    report_only: bool = False
    generated_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    @property
    def synthetic(self) -> bool:
        return bool(self.snapshot and self.snapshot.get("synthetic")) or any(d.synthetic for d in self.dossiers)

    @property
    def counts(self) -> dict[str, int]:
        c = {"pass": 0, "warn": 0, "fail": 0, "error": len(self.errors)}
        for d in self.dossiers:
            key = d.verdict.status if d.verdict else "not_judged"  # report-only: no verdict, never "pass"
            c[key] = c.get(key, 0) + 1
        return c

    @property
    def exit_code(self) -> int:
        c = self.counts
        return 2 if c["error"] else 1 if c["fail"] else 0

    def as_dict(self) -> dict[str, Any]:
        return {"audit": {"generated_at": self.generated_at, "registry_version": self.registry_version,
                          "snapshot": self.snapshot, "online": self.online,
                          "policy": self.policy.as_dict() if self.policy else None,
                          "report_only": self.report_only,
                          "counts": self.counts, "exit_code": self.exit_code},
                "synthetic": self.synthetic,
                "models": [d.as_dict() for d in self.dossiers],
                "errors": [e.as_dict() for e in self.errors]}


class _StoreView:
    """The few store reads an audit needs, on one snapshot."""

    def __init__(self, store: Any, snapshot: Any, registry: Any) -> None:
        self.store, self.snap, self.registry = store, snapshot, registry
        self.snapshot_dict = snapshot.as_dict()

    def rows(self, model_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Store rows of many models in one scan, keyed by lower-cased id."""
        if not model_ids:
            return {}
        out = {}
        for row in model_rows(self.store, self.snap.id, model_ids):
            for k in ("config", "card_data", "gguf"):
                row[k] = json_field(row[k])
            out[row["id"].lower()] = row
        return out

    def origin(self, model_id: str) -> dict[str, Any] | None:
        from modelcensus.lineage import origin

        try:
            return origin(self.store, model_id, snapshot=self.snap.id, registry=self.registry)
        except NotFoundError:
            return None

    def licences(self, ids: list[str]) -> dict[str, str | None]:
        from modelcensus.audit.licence import effective_licence

        if not ids:
            return {}
        rows = licence_inputs(self.store, self.snap.id, ids)
        return {r[0]: effective_licence(r[1], json_field(r[2])) for r in rows}

    def edges(self, children: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
        if not children:
            return {}
        rows = parent_edges_of(self.store, self.snap.id, children)
        return {(r[0], r[1]): {"relation": r[2], "grade": r[3], "inferred": r[4], "evidence": r[5]} for r in rows}


def _path_ids(origin: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    for r in origin.get("roots") or []:
        for mid in r.get("path") or []:
            if mid not in ids:
                ids.append(mid)
    return ids


class _Auditor:
    """One run: shared store view, online cache and registry."""

    def __init__(self, registry: Any, view: _StoreView | None, online: bool) -> None:
        self.registry, self.view, self.online = registry, view, online
        self.resolve = lru_cache(maxsize=4096)(self._resolve)
        self._walking: set[str] = set()
        self._tried: set[str] = set()
        self._rows: dict[str, dict[str, Any]] = {}
        self._origins: dict[str, dict[str, Any] | None] = {}
        self._licences: dict[str, str | None] = {}
        self._edges: dict[tuple[str, str], dict[str, Any]] = {}
        self.hashes = HashBudget()  # one SHA-256 byte budget for the run (the BOM's file hashes)

    def prefetch(self, targets: list[Target]) -> None:
        """Set-based reads for every Hub target at once: rows in one scan, then the licences and edges
        of every model on every root path in one scan each (origins come from the lineage stage)."""
        wanted = [t.id for t in targets if t.id and t.id.lower() not in self._tried]
        if self.view is None or not wanted:
            return
        self._tried.update(w.lower() for w in wanted)
        rows = self.view.rows(wanted)
        self._rows.update(rows)
        origins = {k: self.view.origin(row["id"]) for k, row in rows.items()}
        self._origins.update(origins)
        ids = sorted({m.lower() for doc in origins.values() if doc for m in _path_ids(doc)} - set(self._licences))
        self._licences.update(dict.fromkeys(ids))  # ids without a stored licence stay None
        self._licences.update(self.view.licences(ids))
        self._edges.update(self.view.edges(ids))

    # a declared parent's origin: the store first, then (online) the Hub, following its own parents
    def _resolve(self, model_id: str) -> dict[str, Any] | None:
        if self.view is not None:
            doc = self.view.origin(model_id)
            if doc is not None:
                return doc
        if not self.online or model_id.lower() in self._walking or len(self._walking) >= 8:
            return {"roots": [], "problems": ["cycle"]} if model_id.lower() in self._walking else None
        from modelcensus.audit.hub import fetch_model

        self._walking.add(model_id.lower())
        try:  # any other failure (unreachable, refused, malformed) is the target's error, not a guessed root
            rec = fetch_model(model_id, small_files=False)
        except NotFoundError:
            return {"roots": [{"id": model_id, "org": None, "country": None, "weight": 1.0, "path": [model_id],
                               "relations": []}], "grade": None, "problems": [f"missing_parent:{model_id}"]}
        finally:
            self._walking.discard(model_id.lower())
        if not rec.base_models:
            pub = self.registry.lookup_namespace(rec.id.split("/", 1)[0]) if "/" in rec.id else None
            return {"roots": [{"id": rec.id, "org": pub.org if pub else None, "country": pub.country if pub else None,
                               "org_type": pub.org_type if pub else None, "weight": 1.0, "path": [rec.id],
                               "relations": []}], "grade": "declared", "problems": []}
        self._walking.add(model_id.lower())
        try:
            return compose_origin(self.registry, rec.id, rec.base_models, rec.relation or "finetune", "declared",
                                  self.resolve, model_id=rec.id)
        finally:
            self._walking.discard(model_id.lower())

    def hub(self, target: Target) -> Dossier:
        assert target.id is not None
        snapshot = self.view.snapshot_dict if self.view else None
        if self.view is not None:
            key = target.id.lower()
            self.prefetch([target])  # a no-op when the batch already tried it
            row = self._rows.get(key)
            if row is not None:
                origin = self._origins.get(key)
                if origin is None:
                    raise NotFoundError(f"{target.id}: in the store but without an origin (lineage not built)")
                return build_from_record(self.registry, target, model_id=row["id"], source="store", row=row,
                                         origin=origin, licences=self._licences, edge_info=self._edges,
                                         synthetic=bool(self.view.snap.synthetic))
        if not self.online:
            where = f"snapshot {self.view.snap.id} of the store" if self.view else "the store (no store given)"
            raise NotFoundError(f"{target.id}: not in {where}; use --online to look it up on the Hub")
        from modelcensus.audit.hub import fetch_model

        rec = fetch_model(target.id, target.revision)
        row = {"id": rec.id, "license": rec.license, "tags": rec.tags, "gated": rec.gated, "files": rec.files,
               "config": rec.config, "card_data": rec.card, "sha": rec.sha, "base_models": rec.base_models,
               "base_model_relation": rec.relation, "tokenizer_config": rec.tokenizer_config,
               "model_type": (rec.config or {}).get("model_type"),
               "architectures": (rec.config or {}).get("architectures")}
        if rec.base_models:
            origin = compose_origin(self.registry, rec.id, rec.base_models, rec.relation or "finetune", "declared",
                                    self.resolve, model_id=rec.id, snapshot=snapshot)
        else:
            origin = compose_origin(self.registry, rec.id, [], "finetune", "declared", self.resolve,
                                    model_id=rec.id, snapshot=snapshot)
            origin["roots"] = [{"id": rec.id, "org": origin["publisher"]["org"],
                                "country": origin["publisher"]["country"], "org_type": origin["publisher"]["org_type"],
                                "weight": 1.0, "path": [rec.id], "relations": []}]
        ids = _path_ids(origin)
        d = build_from_record(self.registry, target, model_id=rec.id, source="hub", row=row, origin=origin,
                              licences=self.view.licences(ids) if self.view else {}, edge_info={}, synthetic=False)
        d.notes += rec.notes
        if rec.sha and not target.revision:
            d.notes.append(f"Hub head revision at audit time: {rec.sha}")
        return d

    def local(self, target: Target) -> Dossier:
        assert target.path is not None
        with limits.read_budget():  # one read budget per target; headers parsed once per inode
            model = read_local(target)
            d = build_local(self.registry, target, model, self.resolve,
                            self.view.snapshot_dict if self.view else None)
        d.notes += hash_files(d.files, target.path, self.hashes, single=target.kind != "folder")
        return d


def audit(targets: Sequence[str | Target], *, inventory: str | Path | None = None,
          policy: Policy | str | Path | None = None, store: Any = None, snapshot: int | str | None = None,
          registry: Any, online: bool = False, hash_bytes: int | None = None) -> AuditReport:
    """Audit every target (and every inventory entry) and apply the policy.

    ``hash_bytes``: bytes of local files hashed (SHA-256) for the BOM in this run, smallest files first
    (default ``limits.HASH_BYTES``; 0 hashes nothing, every file then carries a note instead).

    ``policy``: a :class:`Policy`, a file, a shipped name; ``None`` applies the shipped ``default``
    policy (a gate fails closed) and ``"none"`` gives a report without verdicts (exit 0 whatever the flags).
    Raises :class:`InputError` only for problems that make the whole run meaningless (a bad policy,
    an unknown snapshot); everything about a single target is reported in ``AuditReport.errors``.
    """
    pol = policy if isinstance(policy, Policy) else load_policy(policy)
    items: list[Target | TargetError] = []
    for given in targets:
        if isinstance(given, Target):
            items.append(given)
            continue
        try:
            items.append(parse_target(given))
        except InputError as exc:
            items.append(TargetError(display_path(given), "argument", str(exc)))
    if inventory is not None:
        try:
            items += load_inventory(inventory)
        except InputError as exc:
            items.append(TargetError(display_path(inventory), "inventory", str(exc)))
    view = None
    if store is not None and any(isinstance(t, Target) for t in items):
        try:
            snap = store.snapshot(snapshot)
        except NotFoundError:
            if snapshot is not None:
                raise
            snap = None  # an empty store: local targets are still audited, Hub ids report the gap
        if snap is not None:
            from modelcensus.lineage import ensure_lineage

            ensure_lineage(store, snap.id, registry)
            view = _StoreView(store, snap, registry)
    auditor = _Auditor(registry, view, online)
    if hash_bytes is not None:
        auditor.hashes = HashBudget(hash_bytes)
    auditor.prefetch([t for t in items if isinstance(t, Target) and t.kind == "hub"])
    dossiers: list[Dossier] = []
    errors: list[TargetError] = []
    for t in items:
        if isinstance(t, TargetError):
            errors.append(t)
            continue
        try:
            d = auditor.hub(t) if t.kind == "hub" else auditor.local(t)
        except READ_ERRORS as exc:
            msg = str(exc) if isinstance(exc, InputError) else f"cannot read safely ({type(exc).__name__}: {exc})"
            errors.append(TargetError(t.label, t.source, msg[:500]))
            continue
        d.verdict = evaluate(pol, d.subject()) if pol else None
        dossiers.append(d)
    return AuditReport(dossiers, errors, pol, registry.version, view.snapshot_dict if view else None, online,
                       report_only=pol is None)
