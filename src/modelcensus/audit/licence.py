"""Licence chain and drift: the licences carried down a model's lineage, and a derivative labelled
more permissively than its root (a Llama-licensed root under a derivative marked MIT).

The permissiveness order and licence classes are the registry's (``Registry.license_class`` and
``Registry.more_permissive``); this module only walks the chain and reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelcensus.audit.flags import Flag


def effective_licence(license_id: Any, card_data: dict[str, Any] | None = None) -> str | None:
    """The licence a model declares; ``other`` with a ``license_name`` gives the name."""
    lic = license_id if isinstance(license_id, str) and license_id.strip() else None
    if isinstance(card_data, dict):
        card_lic = card_data.get("license")
        if lic is None and isinstance(card_lic, str) and card_lic.strip():
            lic = card_lic
        if isinstance(card_lic, list) and card_lic and isinstance(card_lic[0], str) and lic is None:
            lic = card_lic[0]
        name = card_data.get("license_name")
        if (lic or "").lower() == "other" and isinstance(name, str) and name.strip():
            lic = name
    return lic.strip()[:200] if lic else None


@dataclass
class LicenceReport:
    """A model's licence, the chain of licences up to its root(s), and any drift."""

    license: str | None
    license_class: str
    chain: list[dict[str, Any]] = field(default_factory=list)
    roots: list[dict[str, Any]] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"license": self.license, "class": self.license_class, "chain": self.chain,
                "roots": self.roots, "drift": self.drift}

    def flags(self) -> list[Flag]:
        return [Flag("licence_drift", "medium",
                     f"licensed {d['license']} ({d['class']}) but its root {d['root']} is {d['root_license']} "
                     f"({d['root_class']})", d.get("evidence")) for d in self.drift]


def licence_report(registry: Any, license_id: str | None, chain: list[tuple[str, str | None, str | None]],
                   roots: list[tuple[str, str | None, str | None]]) -> LicenceReport:
    """Build the report.

    ``chain``: (model id, licence, relation to its child) from the model's parent up to the root(s),
    ``roots``: (root id, licence, where the licence came from: 'store' | 'family <key>' | None).
    """
    rep = LicenceReport(license_id, registry.license_class(license_id))
    seen = set()
    for mid, lic, relation in chain:
        if mid.lower() in seen:
            continue
        seen.add(mid.lower())
        rep.chain.append({"id": mid, "license": lic, "class": registry.license_class(lic), "relation": relation})
    for rid, lic, source in roots:
        rep.roots.append({"id": rid, "license": lic, "class": registry.license_class(lic), "source": source})
        if lic and license_id and registry.more_permissive(license_id, lic):
            rep.drift.append({"license": license_id, "class": rep.license_class, "root": rid,
                              "root_license": lic, "root_class": registry.license_class(lic),
                              "evidence": f"root licence from {source}" if source else None})
    return rep
