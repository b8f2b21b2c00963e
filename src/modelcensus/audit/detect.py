"""Undeclared-base detection: match a local model's features against the registry's family
signatures (``Registry.match_family``) and compare the result with what the model declares.

Detection says which *family* a model belongs to (and so the country of the family's root
organisation), never which exact parent: an exact architecture + tokenizer match is strong evidence
of membership, an architecture alone is not (Llama-architecture models are built on many families).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelcensus.audit.flags import Flag

GRADE_ORDER = ("declared", "hub", "tag", "config", "tokenizer", "name")

# keys of the registry's match_family contract; other features are kept for the dossier only
MATCH_KEYS = ("model_type", "architectures", "vocab_size", "special_tokens", "gguf_architecture", "name",
              "base_model_hint")


@dataclass
class Detection:
    """The best family candidate(s) for a model and the signals that support them."""

    family: str | None = None
    family_name: str | None = None
    root_org: str | None = None
    root_country: str | None = None
    grade: str | None = None
    score: float | None = None
    signals: list[str] = field(default_factory=list)
    ambiguous: bool = False
    candidates: list[dict[str, Any]] = field(default_factory=list)
    features: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        feats = {k: (v if k != "chat_template" else f"<{len(v)} chars>") for k, v in self.features.items()}
        if isinstance(feats.get("special_tokens"), list):
            feats["special_tokens"] = feats["special_tokens"][:40]
        return {"family": self.family, "family_name": self.family_name, "root_org": self.root_org,
                "root_country": self.root_country, "grade": self.grade, "score": self.score,
                "signals": self.signals, "ambiguous": self.ambiguous, "candidates": self.candidates,
                "features": feats}


def _root_of(registry: Any, key: str | None) -> tuple[str | None, str | None, str | None]:
    """(family name, root organisation name, root country) of a family key."""
    fam = registry.family(key) if key else None
    if fam is None:
        return None, None, None
    try:
        org = registry.org(fam.root_org)
    except Exception:  # an org the registry does not hold: report the key alone
        return fam.name, fam.root_org, None
    return fam.name, org.name, org.country


def match_features(registry: Any, features: dict[str, Any]) -> Detection:
    """Run ``registry.match_family`` on the contract keys of ``features``.

    The family is named only when the registry calls the evidence decisive and unique
    (``matches.best``); architecture-only candidates are listed but never name a family.
    """
    query = {k: features[k] for k in MATCH_KEYS if features.get(k) not in (None, [], "")}
    det = Detection(features=dict(features))
    if not query:
        return det
    matches = registry.match_family(query)
    for m in list(matches)[:5]:
        name, org, country = _root_of(registry, m.family)
        det.candidates.append({"family": m.family, "name": name, "root_org": org, "root_country": country,
                               "grade": m.grade, "score": m.score, "decisive": m.decisive,
                               "signals": list(m.signals)})
    best = matches.best
    det.ambiguous = bool(matches.ambiguous)
    if best is None:
        top = [c for c in det.candidates if c["decisive"] and c["score"] == (matches[0].score if matches else None)]
        countries = {c["root_country"] for c in top}
        if len(top) > 1 and len(countries) == 1 and None not in countries:
            # tied families that share a root country: the country is known, the family is not
            det.root_country = countries.pop()
            det.grade = min((c["grade"] for c in top), key=GRADE_ORDER.index)
        return det
    det.family = best.family
    det.family_name, det.root_org, det.root_country = _root_of(registry, best.family)
    det.grade, det.score, det.signals = best.grade, best.score, list(best.signals)
    return det


def declared_family(registry: Any, base_id: str, origin_doc: dict[str, Any] | None = None) -> str | None:
    """Family of a declared base: from its stored origin when available, else by name."""
    if origin_doc:
        for root in origin_doc.get("roots") or []:
            if root.get("family"):
                return root["family"]
        roots = [r.get("id") for r in origin_doc.get("roots") or [] if r.get("id")]
        for rid in roots:
            fam = declared_family(registry, rid)
            if fam:
                return fam
    best = registry.match_family({"base_model_hint": [base_id], "name": base_id}).best
    return best.family if best else None


def mismatch_flags(det: Detection, declared: list[str], declared_families: dict[str, str | None],
                   where: str) -> list[Flag]:
    """Flag a declared base whose family differs from the detected one, or a silent base."""
    if det.family is None:
        return []
    if not declared:
        return [Flag("undeclared_base", "info",
                     f"declares no base model; files match the {det.family_name or det.family} family "
                     f"(grade {det.grade})", ", ".join(det.signals[:6]))]
    known = {b: f for b, f in declared_families.items() if f}
    if known and det.family not in known.values():
        decl = ", ".join(f"{b} ({f})" for b, f in known.items())
        return [Flag("declared_base_mismatch", "high",
                     f"{where} declares {decl} but the files match {det.family_name or det.family}",
                     ", ".join(det.signals[:6]))]
    return []
