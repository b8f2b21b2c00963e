"""Audit policies: a YAML file of rules, schema-checked, and the verdict it gives a dossier.

Every rule has an ``action`` (``fail`` or ``warn``; default ``fail``). A model's verdict is the
worst action among the rules it breaks (pass < warn < fail), and the first rule with that action
is the one that decided it. Unknown facts (a root country nobody knows) are not silently passed:
each rule's ``unknown`` setting (``pass`` | ``warn`` | ``fail``, default ``warn``) says what they give.

The gate fails closed:
- no ``--policy`` means the shipped ``default`` policy (code-execution risks fail, every other flag
  warns), never "pass"; ``--policy none`` is the one way to get a report without a verdict;
- every policy inherits the default's ``code-execution`` rule (what the audit could not read, dangerous
  or unresolvable pickle globals, sandbox-escape chat templates) unless it says ``baseline: false``;
- a policy is validated by a schema (``policy_schema``, pydantic), so a typo never weakens it.

Schema (every rule optional, at least one required; see ``policy_schema`` and docs/audit.md)::

    name: strict-supply-chain
    description: free text
    baseline: true                                   # inherit the default's code-execution rule
    root_countries:      {deny: [CN], allow: [US, FR], unknown: warn, action: fail}
    publisher_countries: {deny: [...], allow: [...], unknown: pass, action: warn}
    teacher_countries:   {deny: [...], allow: [...], unknown: pass, action: fail}
    ids:                 {allow: ["meta-llama/*"], deny: ["evil/model"], action: fail}
    organisations:       {allow: [...], deny: [...], action: fail}
    require_safetensors: {action: fail, accept_gguf: true, unknown: warn}   # or: true | warn
    deny_remote_code:    {action: fail}                                     # or: true | warn
    licences:            {allow: [apache-2.0, mit], classes: [permissive], chain: false,
                          unknown: fail, action: fail}
    min_grade:           {grade: config, action: warn}                      # or: config
    deny_flags:          {codes: [pickle_dangerous_globals, "template_*"], action: fail}
                         # or a list of such rules, each with an optional `name`
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from modelcensus.audit.policy_schema import GRADES, KEY_ALIASES, validate_policy
from modelcensus.errors import InputError
from modelcensus.untrusted import load_yaml_doc, read_bounded

STATUS_ORDER = ("pass", "warn", "fail")
MAX_POLICY_BYTES = 256 * 1024
DEFAULT = "default"
REPORT_ONLY = "none"
BASELINE_RULE = "code-execution"  # the default's deny_flags rule every policy inherits
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass
class Policy:
    name: str
    rules: dict[str, Any]
    description: str | None = None
    source: str | None = None
    baseline: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "source": self.source,
                "baseline": self.baseline, "rules": self.rules}


@dataclass
class Finding:
    rule: str
    action: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "action": self.action, "message": self.message}


@dataclass
class Verdict:
    """pass | warn | fail (or error when the target could not be read), and why."""

    status: str
    decided_by: str | None = None
    findings: list[Finding] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "decided_by": self.decided_by,
                "findings": [f.as_dict() for f in self.findings]}


def parse_policy(doc: Any, *, what: str, source: str | None = None, shipped_default: bool = False) -> Policy:
    """Schema-check a policy (a parsed document, or YAML text) and apply the baseline (which the shipped
    default holds itself; a user's policy merely *named* default still inherits it)."""
    from modelcensus.untrusted import YamlDoc

    ydoc = doc if isinstance(doc, YamlDoc) else (
        load_yaml_doc(doc, what=what, max_bytes=MAX_POLICY_BYTES, key_aliases=KEY_ALIASES)
        if isinstance(doc, str | bytes) else YamlDoc(doc, {}))
    model = validate_policy(ydoc, what=what)
    rules = model.model_dump(exclude_none=True, exclude={"name", "description", "version", "baseline"})
    name = model.name or what
    if model.baseline and not shipped_default:
        floor = baseline_rule()
        flags = rules.setdefault("deny_flags", [])
        if floor not in flags:
            flags.append({**floor, "inherited": f"{DEFAULT}:{BASELINE_RULE}"})
    return Policy(name, rules, model.description, source or what, model.baseline)


def _shipped_text(name: str) -> str | None:
    f = resources.files("modelcensus.audit").joinpath("policies", f"{name}.yaml")
    return f.read_text("utf-8") if f.is_file() else None


@lru_cache(maxsize=1)
def baseline_rule() -> dict[str, Any]:
    """The default policy's ``code-execution`` rule, which every policy inherits unless ``baseline: false``."""
    text = _shipped_text(DEFAULT)
    if text is None:
        raise RuntimeError("the shipped default policy is missing from the package")
    model = validate_policy(load_yaml_doc(text, what="policy default", key_aliases=KEY_ALIASES),
                            what="policy default")
    for rule in model.deny_flags or []:
        if rule.name == BASELINE_RULE and rule.action == "fail":
            return rule.model_dump(exclude_none=True)
    raise RuntimeError(f"the shipped default policy has no failing '{BASELINE_RULE}' rule")


def load_policy(path: str | Path | None) -> Policy | None:
    """A policy file, a shipped policy by name (``no-prc-roots``), ``None`` -> ``default``, ``"none"`` -> no policy.

    ``None`` is returned only for ``"none"`` (a report without a verdict, asked for explicitly).
    """
    if path is None:
        path = DEFAULT
    text = str(path)
    if text == REPORT_ONLY:
        return None
    p = Path(path)
    if not p.exists() and p.suffix == "" and "/" not in text:
        shipped = _shipped_text(text) if _NAME.match(text) else None
        if shipped is None:
            raise InputError(f"policy {text!r}: no such file, and not a shipped policy (shipped: "
                             f"{', '.join(shipped_policies())}; or '{REPORT_ONLY}' for a report without a verdict)")
        return parse_policy(shipped, what=f"policy {text}", source=f"shipped:{text}", shipped_default=text == DEFAULT)
    what = f"policy {p.name}"
    raw = read_bounded(p, what=what, max_bytes=MAX_POLICY_BYTES)
    return parse_policy(raw, what=what, source=str(p))


def shipped_policies() -> list[str]:
    """Names of the policies that ship with the package."""
    folder = resources.files("modelcensus.audit").joinpath("policies")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


# ----------------------------------------------------------------------------- evaluation
@dataclass
class Subject:
    """The facts of a dossier a policy looks at."""

    id: str | None
    namespace: str | None
    publisher_org: str | None
    publisher_country: str | None
    roots: list[dict[str, Any]]          # id, org, country
    teacher: dict[str, Any] | None       # id, org, country
    license: str | None
    license_class: str
    chain_licences: list[tuple[str, str | None, str]]   # (id, licence, class)
    files_known: bool
    has_safetensors: bool
    has_gguf: bool
    has_pickle_weights: bool
    flag_codes: list[str]
    grade: str | None


def _match_any(value: str | None, patterns: list[str]) -> bool:
    return value is not None and any(fnmatchcase(value.lower(), p) for p in patterns)


def _countries(rule_key: str, rule: dict[str, Any], countries: list[str | None], what: str,
               out: list[Finding]) -> None:
    deny, allow = set(rule.get("deny", ())), set(rule.get("allow", ()))
    if not countries:
        countries = [None]
    for c in countries:
        if c is None:
            if rule["unknown"] != "pass":
                out.append(Finding(f"{rule_key}.unknown", rule["unknown"], f"{what} country unknown"))
            continue
        if c in deny:
            out.append(Finding(f"{rule_key}.deny", rule["action"], f"{what} country {c} is denied"))
        elif allow and c not in allow:
            out.append(Finding(f"{rule_key}.allow", rule["action"], f"{what} country {c} is not in the allow-list"))


def evaluate(policy: Policy, s: Subject) -> Verdict:
    """The verdict of ``policy`` on one subject."""
    f: list[Finding] = []
    r = policy.rules
    if "root_countries" in r:
        _countries("root_countries", r["root_countries"], [x.get("country") for x in s.roots], "root", f)
    if "publisher_countries" in r:
        _countries("publisher_countries", r["publisher_countries"], [s.publisher_country], "publisher", f)
    if "teacher_countries" in r and s.teacher:
        _countries("teacher_countries", r["teacher_countries"], [s.teacher.get("country")], "teacher", f)
    if "ids" in r:
        rule = r["ids"]
        if _match_any(s.id, rule.get("deny", [])):
            f.append(Finding("ids.deny", rule["action"], f"{s.id} is on the deny-list"))
        if rule.get("allow") and not _match_any(s.id, rule["allow"]):
            f.append(Finding("ids.allow", rule["action"], f"{s.id or 'this model'} is not on the allow-list"))
    if "organisations" in r:
        rule = r["organisations"]
        orgs: set[str] = {x for x in [s.publisher_org, s.namespace] if x}
        root_orgs: set[str] = {x["org"] for x in s.roots if x.get("org")}
        denied = sorted(o for o in orgs | root_orgs if _match_any(o, rule.get("deny", [])))
        if denied:
            f.append(Finding("organisations.deny", rule["action"], f"organisation {', '.join(denied)} is denied"))
        if rule.get("allow"):
            pub_ok = any(_match_any(o, rule["allow"]) for o in orgs)
            bad_roots = sorted(o for o in root_orgs if not _match_any(o, rule["allow"]))
            if not pub_ok:
                f.append(Finding("organisations.allow", rule["action"],
                                 f"publisher {s.publisher_org or s.namespace or 'unknown'} is not on the allow-list"))
            if bad_roots:
                f.append(Finding("organisations.allow", rule["action"],
                                 f"root organisation {', '.join(bad_roots)} is not on the allow-list"))
    if "require_safetensors" in r:
        rule = r["require_safetensors"]
        ok = s.has_safetensors or (rule["accept_gguf"] and s.has_gguf)
        if not s.files_known:
            if rule["unknown"] != "pass":
                f.append(Finding("require_safetensors.unknown", rule["unknown"], "file list not available"))
        elif not ok:
            why = " (pickle-based weights only)" if s.has_pickle_weights else ""
            f.append(Finding("require_safetensors", rule["action"], f"no safetensors weights{why}"))
    if "deny_remote_code" in r and "remote_code" in s.flag_codes:
        f.append(Finding("deny_remote_code", r["deny_remote_code"]["action"], "the model needs custom (remote) code"))
    if "licences" in r:
        rule = r["licences"]
        items = [(s.id or "model", s.license, s.license_class)]
        if rule["chain"]:
            items += s.chain_licences
        for mid, lic, cls in items:
            if not lic:
                if rule["unknown"] != "pass":
                    f.append(Finding("licences.unknown", rule["unknown"], f"{mid}: no licence declared"))
                continue
            ok_id = lic.lower() in rule.get("allow", [])
            ok_cls = cls in rule.get("classes", [])
            if not (ok_id or ok_cls):
                f.append(Finding("licences", rule["action"], f"{mid}: licence {lic} ({cls}) is not allowed"))
    if "min_grade" in r:
        rule = r["min_grade"]
        if s.grade is None or s.grade not in GRADES:
            f.append(Finding("min_grade", rule["action"], "no evidence for the origin"))
        elif GRADES.index(s.grade) > GRADES.index(rule["grade"]):
            f.append(Finding("min_grade", rule["action"],
                             f"origin evidence is '{s.grade}', weaker than the required '{rule['grade']}'"))
    for rule in r.get("deny_flags", []):
        hit = sorted({c for c in s.flag_codes if any(fnmatchcase(c, p) for p in rule["codes"])})
        if hit:
            label = f"deny_flags:{rule['name']}" if rule.get("name") else "deny_flags"
            f.append(Finding(label, rule["action"], f"flag(s) {', '.join(hit)}"))
    status = max((x.action for x in f if x.action in STATUS_ORDER), key=STATUS_ORDER.index, default="pass")
    decided = next((x.rule for x in f if x.action == status), None)
    return Verdict(status, decided, f)
