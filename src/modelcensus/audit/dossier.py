"""The provenance dossier of one model: identity, lineage to the root(s), origins, licence chain,
security flags, undeclared-base detection, and (once a policy is applied) the verdict.

Three ways in, one shape out: a Hub id held by the store (origins from the lineage stage), a Hub id
looked up online, or local files. Lineage for local and online models is composed from what they
declare, spliced onto the stored origin of the declared parent when the store holds it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelcensus.audit import flags as fl
from modelcensus.audit.detect import Detection, declared_family, match_features, mismatch_flags
from modelcensus.audit.flags import Flag
from modelcensus.audit.formats import PICKLE_SUFFIXES
from modelcensus.audit.inspect_tokenizer import template_entries
from modelcensus.audit.licence import LicenceReport, effective_licence, licence_report
from modelcensus.audit.local import LocalModel
from modelcensus.audit.policy import Subject, Verdict
from modelcensus.audit.targets import Target

GRADES = ("declared", "hub", "tag", "config", "tokenizer", "name")
FORMATS = {".safetensors": "safetensors", ".gguf": "gguf", ".bin": "pytorch-pickle", ".pt": "pytorch-pickle",
           ".pth": "pytorch-pickle", ".ckpt": "pytorch-pickle", ".pkl": "pickle", ".pickle": "pickle",
           ".onnx": "onnx", ".h5": "keras-h5", ".msgpack": "flax-msgpack", ".npz": "numpy", ".mlmodel": "coreml",
           ".tflite": "tflite", ".py": "python"}
WEIGHT_FORMATS = {"safetensors", "gguf", "pytorch-pickle", "pickle", "onnx", "keras-h5", "flax-msgpack", "numpy",
                  "coreml", "tflite"}

Resolver = Callable[[str], dict[str, Any] | None]


def weakest(grades: Sequence[str | None]) -> str | None:
    known = [g for g in grades if g in GRADES]
    return max(known, key=GRADES.index) if known else None


def file_format(name: str) -> str | None:
    low = name.lower()
    if low in fl.NON_WEIGHT_BINS or low.rsplit("/", 1)[-1] in fl.NON_WEIGHT_BINS:
        return None
    return next((f for s, f in FORMATS.items() if low.endswith(s)), None)


@dataclass
class Dossier:
    """Everything an auditor needs about one model, JSON-ready through :meth:`as_dict`."""

    target: Target
    id: str | None
    revision: str | None
    source: str                                   # store | hub | local
    files: list[dict[str, Any]] = field(default_factory=list)
    files_known: bool = True
    origin: dict[str, Any] = field(default_factory=dict)
    lineage: list[dict[str, Any]] = field(default_factory=list)
    declared: dict[str, Any] = field(default_factory=dict)
    detection: Detection | None = None
    licence: LicenceReport | None = None
    flags: list[Flag] = field(default_factory=list)
    inspections: dict[str, Any] = field(default_factory=dict)
    verdict: Verdict | None = None
    synthetic: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.id or self.target.label

    @property
    def formats(self) -> list[str]:
        return sorted({f["format"] for f in self.files if f.get("format") in WEIGHT_FORMATS})

    def subject(self) -> Subject:
        """The facts a policy judges."""
        pub = self.origin.get("publisher") or {}
        lic = self.licence
        fmts = set(self.formats)
        return Subject(
            id=self.id, namespace=pub.get("namespace"), publisher_org=pub.get("org"),
            publisher_country=pub.get("country"),
            roots=[{"id": r.get("id"), "org": r.get("org"), "country": r.get("country")}
                   for r in self.origin.get("roots") or []],
            teacher=self.origin.get("teacher"),
            license=lic.license if lic else None, license_class=lic.license_class if lic else "unknown",
            chain_licences=[(c["id"], c["license"], c["class"]) for c in (lic.chain if lic else [])],
            files_known=self.files_known, has_safetensors="safetensors" in fmts, has_gguf="gguf" in fmts,
            has_pickle_weights=bool(fmts & {"pytorch-pickle", "pickle"}),
            flag_codes=[f.code for f in self.flags], grade=self.origin.get("grade"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": {"ref": self.target.label if self.target.kind != "hub" else self.target.ref,
                       "kind": self.target.kind, "source": self.target.source},
            "id": self.id, "revision": self.revision, "source": self.source,
            "files": self.files, "files_known": self.files_known, "formats": self.formats,
            "origin": self.origin, "lineage": self.lineage, "declared": self.declared,
            "detection": self.detection.as_dict() if self.detection else None,
            "licence": self.licence.as_dict() if self.licence else None,
            "flags": [f.as_dict() for f in self.flags],
            "verdict": self.verdict.as_dict() if self.verdict else None,
            "inspections": self.inspections, "synthetic": self.synthetic, "notes": self.notes,
        }


# ----------------------------------------------------------------------------- origins
def publisher_of(registry: Any, model_id: str | None) -> dict[str, Any]:
    ns = model_id.split("/", 1)[0] if model_id and "/" in model_id else None
    info = registry.lookup_namespace(ns) if ns else None
    return {"namespace": ns, "org": info.org if info else None, "country": info.country if info else None,
            "org_type": info.org_type if info else None}


def _root_entry(registry: Any, root_id: str, weight: float, path: list[str], relations: list[str]) -> dict[str, Any]:
    pub = publisher_of(registry, root_id)
    return {"id": root_id, "org": pub["org"], "country": pub["country"], "org_type": pub["org_type"],
            "weight": weight, "path": path, "relations": relations}


def compose_origin(registry: Any, label: str, parents: list[str], relation: str, grade: str,
                   resolve: Resolver, *, model_id: str | None = None, snapshot: dict[str, Any] | None = None,
                   problems: list[str] | None = None) -> dict[str, Any]:
    """Origin JSON (design.md shape) of a model known only by its declared parents."""
    roots: list[dict[str, Any]] = []
    grades: list[str | None] = [grade]
    teacher = None
    problems = list(problems or [])
    depth = 0
    k = len(parents)
    for parent in parents:
        doc = resolve(parent)
        if doc is None:
            roots.append(_root_entry(registry, parent, 1.0 / k, [label, parent], [relation]))
            depth = max(depth, 1)
            continue
        grades.append(doc.get("grade"))
        teacher = teacher or doc.get("teacher")
        problems += [p for p in doc.get("problems") or [] if p not in problems]
        for r in doc.get("roots") or []:
            entry = dict(r)
            entry["weight"] = round(float(r.get("weight") or 0) / k, 6)
            entry["path"] = [label, *(r.get("path") or [parent])]
            entry["relations"] = [relation, *(r.get("relations") or [])]
            roots.append(entry)
            depth = max(depth, len(entry["path"]) - 1)
    return {"model": model_id or label, "snapshot": snapshot, "publisher": publisher_of(registry, model_id),
            "roots": roots, "teacher": teacher, "depth": depth, "grade": weakest(grades), "problems": problems}


def detected_origin(registry: Any, label: str, det: Detection, relation: str, *, model_id: str | None,
                    snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """Origin from a family signature: the family's root, graded by the signal that matched."""
    fam = registry.family(det.family) if det.family else None
    root_id = fam.root_models[0] if fam and fam.root_models else None
    roots = []
    if root_id:
        entry = _root_entry(registry, root_id, 1.0, [label, root_id], [relation])
        entry.update({"org": det.root_org or entry["org"], "country": det.root_country, "family": det.family})
        roots.append(entry)
    problems = ["ambiguous_signature"] if det.ambiguous else []
    if not roots:
        roots.append({"id": model_id or label, "org": None, "country": det.root_country, "org_type": None,
                      "weight": 1.0, "path": [model_id or label], "relations": []})
    return {"model": model_id or label, "snapshot": snapshot, "publisher": publisher_of(registry, model_id),
            "roots": roots, "teacher": None, "depth": 1 if root_id else 0,
            "grade": det.grade if (root_id or det.root_country) else None, "problems": problems}


def lineage_steps(origin: dict[str, Any], edge_info: dict[tuple[str, str], dict[str, Any]],
                  first_grade: str | None = None) -> list[dict[str, Any]]:
    """One row per hop along every root path, with relation and grade (from the edges when known)."""
    steps, seen = [], set()
    for r in origin.get("roots") or []:
        path, rels = r.get("path") or [], r.get("relations") or []
        for i in range(len(path) - 1):
            key = (path[i].lower(), path[i + 1].lower())
            if key in seen:
                continue
            seen.add(key)
            info = edge_info.get(key, {})
            grade = info.get("grade") or (first_grade if i == 0 else None)
            steps.append({"child": path[i], "parent": path[i + 1], "relation": rels[i] if i < len(rels) else None,
                          "grade": grade, "inferred": info.get("inferred"), "evidence": info.get("evidence"),
                          "depth": i + 1, "root": r.get("id")})
    return steps


# ----------------------------------------------------------------------------- building
def files_table(files: Sequence[tuple[str, int | None]]) -> list[dict[str, Any]]:
    return [{"name": n, "format": file_format(n), "size": s} for n, s in files]


def finish(d: Dossier, registry: Any, *, config: dict[str, Any] | None, tags: list[str] | None,
           chat_template: str | list[tuple[str, str]] | None, gated: Any, pickles: list[dict[str, Any]],
           hub_target: bool) -> None:
    """Security flags common to every kind of target."""
    names = [f["name"] for f in d.files]
    found: list[Flag] = []
    if d.files_known:
        found += fl.weight_format_flags(names)
        # a Hub id's files are never downloaded: every file that can hold a pickle (weights, training_args.bin,
        # optimizer.pt, .pkl, .npy, archives...) is listed but unread, so the gate cannot call it safe
        unread = [n for n in names if n.lower().endswith(PICKLE_SUFFIXES)] if hub_target else []
        if unread:
            found.append(fl.make_flag(
                "unscanned_content", f"{len(unread)} file(s) listed on the Hub can hold a pickle and were not "
                "downloaded, so not scanned: loading them can run code (audit a local copy to scan them)",
                ", ".join(unread[:8]) + (f" and {len(unread) - 8} more" if len(unread) > 8 else "")))
    found += fl.pickle_scan_flags(pickles)
    found += fl.remote_code_flags(config, tags, names)
    found += fl.chat_template_flags(chat_template)
    found += fl.hub_flags(gated=gated, revision=d.revision if hub_target else "local",
                          problems=d.origin.get("problems") or [])
    if d.licence:
        found += d.licence.flags()
    d.flags = fl.dedupe(d.flags + found)


def build_local(registry: Any, target: Target, model: LocalModel, resolve: Resolver,
                snapshot: dict[str, Any] | None) -> Dossier:
    """Dossier of a local folder or file."""
    d = Dossier(target, None, target.revision, "local", files_table(model.files))
    d.notes += model.notes
    feats = model.features()
    det_feats = {k: v for k, v in feats.items() if k != "base_model_hint"}
    d.detection = match_features(registry, det_feats)
    d.detection.features = feats
    relation = "quantized" if model.gguf and not model.safetensors else "finetune"
    if model.declared:
        grade = "declared" if model.declared_where == "card" else "tag"
        rel = model.card.get("base_model_relation") if model.declared_where == "card" else None
        rel = rel if isinstance(rel, str) else ("merge" if len(model.declared) > 1 else relation)
        d.origin = compose_origin(registry, model.label, model.declared, rel, grade, resolve, snapshot=snapshot)
        d.declared = {"base_models": model.declared, "where": model.declared_where, "relation": rel}
    else:
        d.origin = detected_origin(registry, model.label, d.detection, relation, model_id=None, snapshot=snapshot)
        d.declared = {"base_models": [], "where": None, "hints": model.base_hints}
    fams = {b: declared_family(registry, b, resolve(b)) for b in model.declared}
    d.flags += mismatch_flags(d.detection, model.declared, fams, model.declared_where or "the model")
    d.lineage = lineage_steps(d.origin, {}, d.origin.get("grade"))
    d.licence = _licence(registry, model.license, d.origin, {}, d.detection)
    d.inspections = {
        "config": {k: v for k, v in (model.config or {}).items() if k in
                   ("model_type", "architectures", "vocab_size", "hidden_size", "num_hidden_layers", "auto_map")},
        "tokenizer": model.tokenizer.summary() if model.tokenizer else None,
        "safetensors": [{"file": h.path.rsplit("/", 1)[-1], **h.summary()} for h in model.safetensors[:8]],
        "gguf": [g.summary() for g in model.gguf],
        "pickles": [p.as_dict() for p in model.pickles],
    }
    d.flags += reader_unscanned_flags(model)
    finish(d, registry, config=model.config, tags=None, chat_template=local_templates(model), gated=None,
           pickles=[p.as_dict() for p in model.pickles], hub_target=False)
    return d


def local_templates(model: LocalModel) -> list[tuple[str, str]]:
    """Every chat template of a local model, each with where it came from (all are checked, not the first)."""
    out = list(model.tokenizer.chat_templates) if model.tokenizer else []
    for g in model.gguf:
        out += [(f"{g.path.rsplit('/', 1)[-1]} {key}", text) for key, text in g.chat_templates]
    return out


def reader_unscanned_flags(model: LocalModel) -> list[Flag]:
    """``unscanned_content`` for whatever a header/tokenizer reader's limits stopped (audit.limits)."""
    reasons = [r for h in model.safetensors for r in h.unscanned] + [r for g in model.gguf for r in g.unscanned]
    reasons += model.tokenizer.unscanned if model.tokenizer else []
    return [fl.make_flag("unscanned_content", f"{r[:500]} (what was not read is treated as unsafe)")
            for r in reasons]


def _licence(registry: Any, license_id: str | None, origin: dict[str, Any],
             licences: dict[str, str | None], det: Detection | None) -> LicenceReport:
    """Licence chain along the root paths; a root without a known licence takes its family's."""
    chain, roots = [], []
    for r in origin.get("roots") or []:
        path, rels = r.get("path") or [], r.get("relations") or []
        for i, mid in enumerate(path[1:]):
            chain.append((mid, licences.get(mid.lower()), rels[i] if i < len(rels) else None))
        rid = r.get("id")
        lic, src = licences.get((rid or "").lower()), "store" if licences.get((rid or "").lower()) else None
        if lic is None:
            fam_key = r.get("family") or (det.family if det and det.family else None)
            if fam_key is None and rid:
                best = registry.match_family({"base_model_hint": [rid]}).best
                fam_key = best.family if best else None
            fam = registry.family(fam_key) if fam_key else None
            if fam and fam.licenses:
                lic, src = fam.licenses[0], f"family {fam.key}"
        if rid:
            roots.append((rid, lic, src))
    return licence_report(registry, license_id, chain, roots)


def build_from_record(registry: Any, target: Target, *, model_id: str, source: str, row: dict[str, Any],
                      origin: dict[str, Any], licences: dict[str, str | None],
                      edge_info: dict[tuple[str, str], dict[str, Any]], synthetic: bool) -> Dossier:
    """Dossier of a Hub model from a store row or an online record (same keys)."""
    files = row.get("files")
    d = Dossier(target, model_id, target.revision, source,
                files_table([(f, None) for f in files or []]), files_known=files is not None)
    d.synthetic = synthetic
    d.origin = origin
    d.lineage = lineage_steps(origin, edge_info)
    config = row.get("config") if isinstance(row.get("config"), dict) else None
    card = row.get("card_data") if isinstance(row.get("card_data"), dict) else {}
    tok_cfg = row.get("tokenizer_config") or ((config or {}).get("tokenizer_config"))
    tmpl = template_entries(tok_cfg.get("chat_template"), "tokenizer_config.json") if isinstance(tok_cfg, dict) else []
    declared = list(row.get("base_models") or [])
    d.declared = {"base_models": declared, "where": "card" if declared else None,
                  "relation": row.get("base_model_relation")}
    feats: dict[str, Any] = {"name": model_id}
    if row.get("model_type"):
        feats["model_type"] = row["model_type"]
    if row.get("architectures"):
        feats["architectures"] = list(row["architectures"])
    gguf = row.get("gguf") if isinstance(row.get("gguf"), dict) else None
    if gguf and isinstance(gguf.get("architecture"), str):
        feats["gguf_architecture"] = gguf["architecture"]
    if config:
        for k in ("vocab_size",):
            if isinstance(config.get(k), int):
                feats[k] = config[k]
    if isinstance(tok_cfg, dict):
        specials = []
        for key in ("bos_token", "eos_token", "pad_token", "unk_token"):
            v = tok_cfg.get(key)
            v = v.get("content") if isinstance(v, dict) else v
            if isinstance(v, str):
                specials.append(v)
        if specials:
            feats["special_tokens"] = specials
    if len(feats) > 1:
        d.detection = match_features(registry, feats)
        fams = {b: declared_family(registry, b) for b in declared}
        d.flags += mismatch_flags(d.detection, declared, fams, "the card") if declared else []
    lic = effective_licence(row.get("license"), card)
    d.licence = _licence(registry, lic, origin, licences, d.detection)
    d.inspections = {"tags": list(row.get("tags") or [])[:100], "gated": row.get("gated"),
                     "sha": row.get("sha"), "library": row.get("library_name")}
    finish(d, registry, config=config, tags=list(row.get("tags") or []), chat_template=tmpl,
           gated=row.get("gated"), pickles=[], hub_target=True)
    return d


def json_field(value: Any) -> Any:
    """DuckDB JSON columns come back as text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value
