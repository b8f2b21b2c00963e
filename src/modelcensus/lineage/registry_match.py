"""Family recognition from what a model carries: declared hints, config, tokenizer, GGUF metadata, name.

Why a separate module: the matching rules are the part most likely to be argued about, so they
live in one place with one doc. The rules:

* A **hint** (a declared/GGUF ``base_model`` id) that is a family root or matches its name patterns
  gives grade ``tag``.
* **Config** evidence needs an architecture signal (``model_type``, ``architectures`` or GGUF
  ``general.architecture``) *and* a vocabulary size listed in the same config shape of the family
  (a listed ``hidden_size`` breaks ties between families sharing both; for shapes without a vocabulary,
  such as vision encoders, architecture plus a listed hidden size is the config evidence). Architecture alone
  never names a family: many families reuse ``LlamaForCausalLM``/``qwen2``.
* **Tokenizer** evidence: a special token that no other registry family lists, or a listed
  vocabulary size without an architecture match (a reused tokenizer).
* **Name**: a family name pattern matches the model id.

Each family gets a score (hint 8, config 5 (+0.5 for a listed hidden size), tokenizer 2-3, name 1);
the grade is the strongest decisive kind. Families with only an architecture match are reported as
non-decisive candidates.
Several decisive families with the same top score, or no decisive family, mean *ambiguous*.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from modelcensus.lineage.registry_schema import Family

GRADE_ORDER = ("tag", "config", "tokenizer", "name")
MAX_NAME_LEN = 300
MAX_TOKENS = 100_000

_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*[+*{]")


def unsafe_regex_reason(pattern: str) -> str | None:
    """Why a (user-supplied) pattern is refused: invalid, too long, or prone to catastrophic backtracking."""
    if len(pattern) > 300:
        return "longer than 300 characters"
    if _NESTED_QUANTIFIER.search(pattern) or re.search(r"\\[1-9]", pattern):
        return "nested quantifier or back-reference (catastrophic backtracking risk)"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"invalid regex ({exc})"
    return None


@dataclass(frozen=True)
class FamilyMatch:
    """One candidate family for a model, with the grade of its best decisive signal."""

    family: str
    grade: str
    score: float
    signals: tuple[str, ...]
    decisive: bool = True
    root_org: str | None = None
    root_model: str | None = None  # the matched generation's root, else the family's first (primary) root

    def as_dict(self) -> dict[str, Any]:
        return {"family": self.family, "grade": self.grade, "score": self.score, "signals": list(self.signals),
                "decisive": self.decisive, "root_org": self.root_org, "root_model": self.root_model}


class FamilyMatches(list):
    """``list[FamilyMatch]``, best first, plus the verdict: ``best`` (or None) and ``ambiguous``."""

    @property
    def best(self) -> FamilyMatch | None:
        """The one family the evidence names, or None (nothing decisive, or a tie at the top)."""
        if not self or not self[0].decisive:
            return None
        if len(self) > 1 and self[1].decisive and self[1].score == self[0].score:
            return None
        return self[0]

    @property
    def ambiguous(self) -> bool:
        """True when candidates exist but none is named: a top tie, or architecture-only evidence."""
        return bool(self) and self.best is None

    def as_dict(self) -> dict[str, Any]:
        best = self.best
        return {"family": best.family if best else None, "grade": best.grade if best else None,
                "ambiguous": self.ambiguous, "candidates": [m.as_dict() for m in self]}


@dataclass
class FamilyIndex:
    """Precomputed lookups over the families (token exclusivity, compiled patterns)."""

    families: list[Family]
    compiled: dict[str, list[re.Pattern[str]]] = field(default_factory=dict)
    token_owners: dict[str, set[str]] = field(default_factory=dict)
    roots: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, families: Iterable[Family]) -> FamilyIndex:
        idx = cls(list(families))
        for fam in idx.families:
            idx.compiled[fam.key] = [re.compile(p, re.IGNORECASE) for p in fam.name_patterns
                                     if unsafe_regex_reason(p) is None]
            for tok in fam.signature.special_tokens:
                idx.token_owners.setdefault(tok, set()).add(fam.key)
            for rid in fam.root_models:
                idx.roots.setdefault(rid.lower(), set()).add(fam.key)
        return idx

    def _name_hit(self, fam: Family, name: str) -> str | None:
        for pat in self.compiled.get(fam.key, ()):
            if pat.search(name):
                return pat.pattern
        return None

    def match(self, features: Mapping[str, Any]) -> FamilyMatches:
        """Candidate families for ``features`` (see module doc), best first."""
        f = _Features.read(features)
        results = [m for fam in self.families if (m := self._match_family(fam, f)) is not None]
        results.sort(key=lambda m: (not m.decisive, -m.score, m.family))
        return FamilyMatches(results)

    def _match_family(self, fam: Family, f: _Features) -> FamilyMatch | None:
        """One family's evidence: hint, config shape, special tokens, name; None when nothing points at it."""
        ev = _Evidence()
        self._hint_evidence(fam, f, ev)
        shape_root = _config_evidence(fam, f, ev)
        self._token_evidence(fam, f, ev)
        if f.name:
            pat = self._name_hit(fam, f.name)
            if pat:
                ev.add("name", f"name matches /{pat}/", 1)
        if not ev.signals:
            return None
        grade = min(ev.grades, key=GRADE_ORDER.index) if ev.grades else "config"
        root = shape_root or (fam.root_models[0] if fam.root_models else None)
        return FamilyMatch(fam.key, grade, round(ev.score, 3), tuple(ev.signals), bool(ev.grades), fam.root_org, root)

    def _hint_evidence(self, fam: Family, f: _Features, ev: _Evidence) -> None:
        """The first declared/GGUF base model that is one of the family's roots or matches its names."""
        for hint in f.hints:
            if fam.key in self.roots.get(hint.lower(), ()):
                ev.add("tag", f"base model {hint} is a {fam.name} root", 8)
            elif self._name_hit(fam, hint):
                ev.add("tag", f"base model {hint} matches {fam.name} names", 8)
            else:
                continue
            return

    def _token_evidence(self, fam: Family, f: _Features, ev: _Evidence) -> None:
        """Special tokens the family lists: decisive when no other family lists one of them."""
        shared = sorted(t for t in f.tokens & set(fam.signature.special_tokens))
        exclusive = [t for t in shared if len(self.token_owners.get(t, ())) == 1]
        if exclusive:
            ev.add("tokenizer", "special tokens " + ", ".join(exclusive), 3 + 0.1 * (len(shared) - len(exclusive)))
        elif shared:
            ev.add(None, "shared special tokens " + ", ".join(shared),
                   sum(1 / len(self.token_owners[t]) for t in shared) * 0.5)


@dataclass(frozen=True)
class _Features:
    """What a model carries, read defensively (the features come from untrusted Hub JSON and files)."""

    model_type: str | None
    archs: frozenset[str]
    gguf: str | None
    vocab: int | None
    hidden: int | None
    tokens: frozenset[str]
    name: str | None
    hints: tuple[str, ...]

    @classmethod
    def read(cls, features: Mapping[str, Any]) -> _Features:
        vocab = features.get("vocab_size")
        name = features.get("name") if isinstance(features.get("name"), str) else None
        return cls(
            model_type=_norm(features.get("model_type")),
            archs=frozenset(a for a in _as_list(features.get("architectures")) if isinstance(a, str)),
            gguf=_norm(features.get("gguf_architecture")),
            vocab=vocab if isinstance(vocab, int) and not isinstance(vocab, bool) else None,
            hidden=features.get("hidden_size") if isinstance(features.get("hidden_size"), int) else None,
            tokens=frozenset(t for t in _as_list(features.get("special_tokens"))[:MAX_TOKENS] if isinstance(t, str)),
            name=name[:MAX_NAME_LEN] if name else None,
            hints=tuple(h[:MAX_NAME_LEN] for h in _as_list(features.get("base_model_hint")) if isinstance(h, str)))


@dataclass
class _Evidence:
    """One family's signals so far, the decisive grades among them, and the score."""

    signals: list[str] = field(default_factory=list)
    grades: list[str] = field(default_factory=list)
    score: float = 0.0

    def add(self, grade: str | None, signal: str | list[str], points: float) -> None:
        """A signal (or several) worth ``points``; ``grade`` None for a non-decisive one."""
        self.signals += [signal] if isinstance(signal, str) else signal
        if grade is not None:
            self.grades.append(grade)
        self.score += points


def _config_evidence(fam: Family, f: _Features, ev: _Evidence) -> str | None:
    """The family's best-matching config shape (architecture, vocabulary, hidden size); returns its root."""
    best: tuple[int, list[str], bool, bool, str | None] | None = None  # rank, hits, vocab, hidden, root
    for cfg in fam.signature.configs:
        hits = []
        if f.model_type and f.model_type in cfg.model_types:
            hits.append(f"model_type={f.model_type}")
        hits += [f"architecture={a}" for a in sorted(f.archs & set(cfg.architectures))]
        if f.gguf and f.gguf in cfg.gguf_architectures:
            hits.append(f"gguf architecture={f.gguf}")
        h_hit = f.hidden is not None and f.hidden in cfg.hidden_sizes
        # Shapes without a vocabulary (vision, diffusion) let a listed hidden size play its part.
        v_hit = (f.vocab is not None and f.vocab in cfg.vocab_sizes) or (
            not cfg.vocab_sizes and h_hit and bool(hits))
        rank = (4 if hits and v_hit else 2 if v_hit else 1 if hits else 0) + int(h_hit and bool(hits or v_hit))
        if rank and (best is None or rank > best[0]):
            best = (rank, hits, v_hit, h_hit, cfg.root)
    if best is None:
        return None
    _, arch_hits, vocab_hit, hidden_hit, shape_root = best
    extra = [f"hidden_size={f.hidden}"] if hidden_hit else []
    if arch_hits and vocab_hit:
        ev.add("config", arch_hits + ([f"vocab_size={f.vocab}"] if f.vocab is not None else []) + extra,
               5 + 0.5 * hidden_hit)
    elif vocab_hit:
        ev.add("tokenizer", f"vocab_size={f.vocab} (tokenizer reuse, architecture differs)", 2)
    elif arch_hits:
        ev.add(None, arch_hits, 1)
    return shape_root


def _norm(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return []
