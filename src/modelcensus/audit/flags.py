"""Security flags of a model: pickle-only weights, dangerous pickle globals, content that could not be
scanned, remote code, unusual chat templates, gated access, unpinned revisions and broken lineage.

``CATALOGUE`` is the one list of flag codes and their severities: flags are built through
:func:`make_flag` (an unknown code is a programming error), and policies are validated against
:func:`flag_codes`. The chat-template rules are data (``audit/data/template_rules.yaml``), not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from modelcensus.untrusted import load_yaml

SEVERITIES = ("high", "medium", "low", "info")
WEIGHT_SUFFIXES_SAFE = (".safetensors", ".gguf")
WEIGHT_SUFFIXES_PICKLE = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
NON_WEIGHT_BINS = ("training_args.bin", "optimizer.pt", "scheduler.pt", "rng_state.pth", "scaler.pt")


# code -> (severity, when it is raised); template_<rule id> codes come from the template rules file
CATALOGUE: dict[str, tuple[str, str]] = {
    "pickle_only_weights": ("high", "weights exist only in pickle-based formats"),
    "pickle_dangerous_globals": ("high", "a pickle stream imports a global that is not a known-safe callable"),
    "pickle_suspicious_globals": ("medium", "a pickle stream imports globals outside picklescan's safe list"),
    "unscanned_content": ("high", "content that could not be fully read or scanned (budget, parse error, "
                                  "unreadable archive member, special file, link leaving the folder)"),
    "remote_code": ("high", "custom modelling code that trust_remote_code would execute"),
    "template_too_long": ("medium", "the chat template is longer than the template rules allow"),
    "gated": ("info", "gated access on the Hub"),
    "unpinned_revision": ("low", "a Hub target without a revision"),
    "missing_parent": ("medium", "a declared parent no longer exists"),
    "lineage_cycle": ("medium", "the declared lineage loops"),
    "ambiguous_signature": ("low", "the family signature matched several families equally"),
    "licence_drift": ("medium", "the model is labelled more permissively than a root"),
    "declared_base_mismatch": ("high", "the declared base belongs to another family than the files"),
    "undeclared_base": ("info", "nothing declared, but the files match a family"),
}


def flag_codes() -> tuple[str, ...]:
    """Every code the audit can raise: the catalogue plus one ``template_<id>`` per template rule."""
    return tuple(CATALOGUE) + tuple(f"template_{i}" for i in _template_rule_ids())


@lru_cache(maxsize=1)
def _template_rule_ids() -> tuple[str, ...]:
    """Rule ids of the template rules file (only the ids: the rules' schema belongs to their reader)."""
    text = resources.files("modelcensus.audit").joinpath("data/template_rules.yaml").read_text("utf-8")
    doc = load_yaml(text, what="audit/data/template_rules.yaml")
    return tuple(str(r["id"]) for r in doc["rules"])


def make_flag(code: str, message: str, evidence: str | None = None) -> Flag:
    """A flag whose severity comes from the catalogue."""
    severity, _ = CATALOGUE[code]
    return Flag(code, severity, message, evidence)


@dataclass(frozen=True)
class Flag:
    """One finding. ``code`` is stable (policies and BOM properties use it)."""

    code: str
    severity: str
    message: str
    evidence: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message, "evidence": self.evidence}


def chat_template_flags(template: str | list[tuple[str, str]] | None) -> list[Flag]:
    """Flags of a chat template, or of every (where, template) a model ships: parsed by Jinja and judged on
    the syntax tree (``audit.templates``); a template that cannot be parsed is ``unscanned_content``."""
    from modelcensus.audit.templates import template_flags

    return template_flags(template)


def weight_format_flags(files: list[str]) -> list[Flag]:
    """``pickle_only_weights`` when no weight file is in a format that cannot execute code."""
    names = [f.rsplit("/", 1)[-1] for f in files]
    safe = [n for n in names if n.lower().endswith(WEIGHT_SUFFIXES_SAFE)]
    pickled = [n for n in names if n.lower().endswith(WEIGHT_SUFFIXES_PICKLE) and n not in NON_WEIGHT_BINS]
    if pickled and not safe:
        return [Flag("pickle_only_weights", "high",
                     "weights only in pickle-based formats (loading them can run code)",
                     ", ".join(pickled[:5]))]
    return []


def remote_code_flags(config: dict[str, Any] | None, tags: list[str] | None, files: list[str]) -> list[Flag]:
    """Custom modelling code that ``trust_remote_code`` would execute."""
    flags = []
    if isinstance(config, dict) and isinstance(config.get("auto_map"), dict) and config["auto_map"]:
        flags.append(Flag("remote_code", "high", "config.json auto_map points at custom code",
                          ", ".join(f"{k}={v}" for k, v in list(config["auto_map"].items())[:3])[:300]))
    if tags and "custom_code" in tags:
        flags.append(Flag("remote_code", "high", "tagged custom_code on the Hub"))
    # trust_remote_code imports modules from the repository's top level (auto_map, custom pipelines); scripts
    # in sub-folders such as examples/ are never imported by a loader, and flagging them failed official models
    py = [f for f in files if f.lower().endswith(".py") and "/" not in f.strip("/")]
    if py:
        flags.append(Flag("remote_code", "high", "the repository ships Python modules at its top level",
                          ", ".join(py[:5])))
    return flags


def pickle_scan_flags(scans: list[dict[str, Any]]) -> list[Flag]:
    """Per file: dangerous globals (every global off the safe list, with why) and unscanned content."""
    flags = []
    for s in scans:
        if s.get("dangerous"):
            why = s.get("why") or {}
            flags.append(make_flag("pickle_dangerous_globals",
                                   f"{s['file']}: unpickling would import globals that are not known to be safe",
                                   "; ".join(f"{g} ({why[g]})" if g in why else g for g in s["dangerous"][:10])[:2000]))
        if s.get("suspicious"):
            flags.append(make_flag("pickle_suspicious_globals",
                                   f"{s['file']}: unpickling would import globals outside the safe list",
                                   ", ".join(s["suspicious"][:10])))
        if s.get("unscanned"):
            flags.append(make_flag("unscanned_content", f"{s['file']}: content was not fully scanned "
                                   "(what could not be read is treated as unsafe)",
                                   "; ".join(s["unscanned"][:10])[:2000]))
    return flags


def hub_flags(*, gated: Any, revision: str | None, problems: list[str]) -> list[Flag]:
    """Gated access, unpinned revision, and lineage problems reported by the origin walk."""
    flags = []
    if gated not in (None, False, "false", "False", ""):
        flags.append(Flag("gated", "info", f"gated access on the Hub ({gated})"))
    if not revision:
        flags.append(Flag("unpinned_revision", "low", "no revision pinned: the audited files can change"))
    for p in problems:
        if p.startswith("missing_parent"):
            flags.append(Flag("missing_parent", "medium", "a declared parent no longer exists (deleted or private)",
                              p.partition(":")[2] or None))
        elif p == "cycle":
            flags.append(Flag("lineage_cycle", "medium", "the declared lineage has a cycle"))
        elif p == "ambiguous_signature":
            flags.append(Flag("ambiguous_signature", "low", "the family signature matched several families"))
    return flags


def dedupe(flags: list[Flag]) -> list[Flag]:
    seen, out = set(), []
    for f in flags:
        key = (f.code, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return sorted(out, key=lambda f: SEVERITIES.index(f.severity) if f.severity in SEVERITIES else 9)
