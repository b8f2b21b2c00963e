"""The calibrated parameters of the synthetic hub (``profile.yaml``), loaded and checked once.

Knowledge is data: families, roots, re-packagers and distributions live in the YAML, with the
source of every number beside it; this module only turns it into typed, validated objects.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from modelcensus.errors import InputError
from modelcensus.untrusted import load_yaml

RELATIONS = ("finetune", "adapter", "quantized", "merge", "distill", "reupload")


def parse_day(text: str) -> int:
    """``YYYY-MM-DD`` or an ISO timestamp -> Unix seconds (UTC)."""
    try:
        ts = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"synthetic profile: {text!r} is not a date") from None
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return int(ts.timestamp())


@dataclass(frozen=True)
class Root:
    """An official, real model that anchors a family (or, with ``parent``, an official derivative)."""

    id: str
    family: int
    created: int
    params: int
    downloads: float
    license: str
    config: dict[str, Any]
    parent: str | None = None
    relation: str | None = None
    teacher: str | None = None


@dataclass(frozen=True)
class Family:
    key: str
    org: str
    country: str
    license: str
    pipeline_tag: str
    library_name: str
    momentum: tuple[tuple[int, float], ...]
    roots: tuple[int, ...]  # indices into Profile.roots
    renamed_from: str | None = None  # old namespace whose repos move to ``org`` at ``renamed_at``
    renamed_at: int | None = None


@dataclass(frozen=True)
class Repackager:
    namespace: str | None
    weight: float
    formats: tuple[str, ...]
    active_until: int | None


@dataclass
class Profile:
    raw: dict[str, Any]
    families: list[Family]
    roots: list[Root]
    repackagers: list[Repackager]
    independent: list[dict[str, Any]]
    independent_licenses: list[str | None]
    users: list[str]
    suffixes: list[str]
    digest: str
    pop: dict[str, Any] = field(default_factory=dict)
    dl: dict[str, Any] = field(default_factory=dict)

    def with_population(self, **overrides: Any) -> Profile:
        """A copy with some ``population`` parameters replaced (the digest changes with them)."""
        pop = {**self.pop, **overrides}
        digest = hashlib.sha256((self.digest + json.dumps(overrides, sort_keys=True)).encode()).hexdigest()[:16]
        return replace(self, pop=pop, digest=digest)

    def root_index(self, model_id: str) -> int | None:
        for i, r in enumerate(self.roots):
            if r.id == model_id:
                return i
        return None


def _config(sig: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    keys = ("model_type", "architectures", "vocab_size", "bos_token", "eos_token", "pad_token", "special")
    merged = {k: over.get(k, sig.get(k)) for k in keys}
    return merged


@lru_cache(maxsize=1)
def load_profile() -> Profile:
    """The packaged profile. Raises :class:`InputError` if it is malformed (a packaging bug)."""
    text = resources.files("modelcensus.sources.synthetic").joinpath("profile.yaml").read_text(encoding="utf-8")
    raw = load_yaml(text, what="synthetic profile.yaml")
    try:
        families: list[Family] = []
        roots: list[Root] = []
        for fi, f in enumerate(raw["families"]):
            sig = f["signature"]
            idx = []
            for r in f["roots"]:
                idx.append(len(roots))
                roots.append(Root(
                    id=r["id"], family=fi, created=parse_day(r["date"]), params=int(r["params"]),
                    downloads=float(r["dl"]), license=r.get("license", f["license"]),
                    config=_config(sig, r), parent=r.get("parent"), relation=r.get("relation"),
                    teacher=r.get("teacher")))
            mom = tuple(sorted((parse_day(k), float(v)) for k, v in f["momentum"].items()))
            families.append(Family(
                key=f["key"], org=f["org"], country=f["country"], license=f["license"],
                pipeline_tag=f.get("pipeline_tag", "text-generation"),
                library_name=f.get("library_name", "transformers"), momentum=mom, roots=tuple(idx),
                renamed_from=(f.get("renamed") or {}).get("from"),
                renamed_at=parse_day(f["renamed"]["date"]) if f.get("renamed") else None))
        reps = [Repackager(r["namespace"], float(r["weight"]), tuple(r["formats"]),
                           parse_day(r["active_until"]) if r.get("active_until") else None)
                for r in raw["repackagers"]]
        prof = Profile(
            raw=raw, families=families, roots=roots, repackagers=reps,
            independent=list(raw["independent"]["configs"]),
            independent_licenses=list(raw["independent"]["licenses"]),
            users=list(raw["words"]["users"]), suffixes=list(raw["words"]["suffixes"]),
            digest=hashlib.sha256(text.encode()).hexdigest()[:16],
            pop=dict(raw["population"]), dl=dict(raw["downloads"]))
        rel = prof.pop["relations"]
        if set(rel) != set(RELATIONS) or abs(sum(rel.values()) - 1.0) > 1e-6:
            raise InputError(f"synthetic profile: relations must be {RELATIONS} summing to 1")
        ids = {r.id for r in roots}
        for r in roots:
            for ref in (r.parent, r.teacher):
                if ref is not None and ref not in ids:
                    raise InputError(f"synthetic profile: {r.id} refers to unknown root {ref}")
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"synthetic profile: malformed ({exc!r})") from None
    return prof
