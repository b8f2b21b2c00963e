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
        model_type = _norm(features.get("model_type"))
        archs = {a for a in _as_list(features.get("architectures")) if isinstance(a, str)}
        gguf = _norm(features.get("gguf_architecture"))
        vocab = features.get("vocab_size")
        vocab = vocab if isinstance(vocab, int) and not isinstance(vocab, bool) else None
        tokens = {t for t in _as_list(features.get("special_tokens"))[:MAX_TOKENS] if isinstance(t, str)}
        name = features.get("name") if isinstance(features.get("name"), str) else None
        name = name[:MAX_NAME_LEN] if name else None
        hints = [h[:MAX_NAME_LEN] for h in _as_list(features.get("base_model_hint")) if isinstance(h, str)]

        results: list[FamilyMatch] = []
        for fam in self.families:
            sig = fam.signature
            signals: list[str] = []
            grades: list[str] = []
            score = 0.0
            for hint in hints:
                if fam.key in self.roots.get(hint.lower(), ()):
                    signals.append(f"base model {hint} is a {fam.name} root")
                elif self._name_hit(fam, hint):
                    signals.append(f"base model {hint} matches {fam.name} names")
                else:
                    continue
                grades.append("tag")
                score += 8
                break
            hidden = features.get("hidden_size") if isinstance(features.get("hidden_size"), int) else None
            best_cfg: tuple[int, list[str], bool, bool, str | None] | None = None  # rank, hits, vocab, hidden, root
            for cfg in sig.configs:
                hits = []
                if model_type and model_type in cfg.model_types:
                    hits.append(f"model_type={model_type}")
                hits += [f"architecture={a}" for a in sorted(archs & set(cfg.architectures))]
                if gguf and gguf in cfg.gguf_architectures:
                    hits.append(f"gguf architecture={gguf}")
                h_hit = hidden is not None and hidden in cfg.hidden_sizes
                # Shapes without a vocabulary (vision, diffusion) let a listed hidden size play its part.
                v_hit = (vocab is not None and vocab in cfg.vocab_sizes) or (
                    not cfg.vocab_sizes and h_hit and bool(hits))
                rank = (4 if hits and v_hit else 2 if v_hit else 1 if hits else 0) + int(h_hit and bool(hits or v_hit))
                if rank and (best_cfg is None or rank > best_cfg[0]):
                    best_cfg = (rank, hits, v_hit, h_hit, cfg.root)
            shape_root = None
            if best_cfg is not None:
                _, arch_hits, vocab_hit, hidden_hit, shape_root = best_cfg
                extra = [f"hidden_size={hidden}"] if hidden_hit else []
                if arch_hits and vocab_hit:
                    grades.append("config")
                    signals += arch_hits + ([f"vocab_size={vocab}"] if vocab is not None else []) + extra
                    score += 5 + 0.5 * hidden_hit
                elif vocab_hit:
                    grades.append("tokenizer")
                    signals.append(f"vocab_size={vocab} (tokenizer reuse, architecture differs)")
                    score += 2
                elif arch_hits:
                    signals += arch_hits
                    score += 1
            shared = sorted(t for t in tokens & set(sig.special_tokens))
            exclusive = [t for t in shared if len(self.token_owners.get(t, ())) == 1]
            if exclusive:
                grades.append("tokenizer")
                signals.append("special tokens " + ", ".join(exclusive))
                score += 3 + 0.1 * (len(shared) - len(exclusive))
            elif shared:
                signals.append("shared special tokens " + ", ".join(shared))
                score += sum(1 / len(self.token_owners[t]) for t in shared) * 0.5
            if name:
                pat = self._name_hit(fam, name)
                if pat:
                    grades.append("name")
                    signals.append(f"name matches /{pat}/")
                    score += 1
            if not signals:
                continue
            decisive = bool(grades)
            grade = min(grades, key=GRADE_ORDER.index) if grades else "config"
            root = shape_root or (fam.root_models[0] if fam.root_models else None)
            results.append(FamilyMatch(fam.key, grade, round(score, 3), tuple(signals), decisive, fam.root_org, root))
        results.sort(key=lambda m: (not m.decisive, -m.score, m.family))
        return FamilyMatches(results)


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
