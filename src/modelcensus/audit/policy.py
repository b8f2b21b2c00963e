"""Audit policies: a YAML file of rules, schema-checked, and the verdict it gives a dossier.

Every rule has an ``action`` (``fail`` or ``warn``; default ``fail``). A model's verdict is the
worst action among the rules it breaks (pass < warn < fail), and the first rule with that action
is the one that decided it. Unknown facts (a root country nobody knows) are not silently passed:
each rule's ``unknown`` setting (``pass`` | ``warn`` | ``fail``, default ``warn``) says what they give.

Schema (every key optional)::

    name: strict-supply-chain
    description: free text
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
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError
from modelcensus.untrusted import load_yaml, read_bounded

GRADES = ("declared", "hub", "tag", "config", "tokenizer", "name")
ACTIONS = ("fail", "warn")
UNKNOWN = ("pass", "warn", "fail")
STATUS_ORDER = ("pass", "warn", "fail")
COUNTRY = re.compile(r"^[A-Z]{2}$")
MAX_POLICY_BYTES = 256 * 1024
MAX_LIST = 10_000

RULE_KEYS: dict[str, set[str]] = {
    "root_countries": {"deny", "allow", "unknown", "action"},
    "publisher_countries": {"deny", "allow", "unknown", "action"},
    "teacher_countries": {"deny", "allow", "unknown", "action"},
    "ids": {"allow", "deny", "action"},
    "organisations": {"allow", "deny", "action"},
    "require_safetensors": {"action", "accept_gguf", "unknown"},
    "deny_remote_code": {"action"},
    "licences": {"allow", "classes", "chain", "unknown", "action"},
    "min_grade": {"grade", "action"},
    "deny_flags": {"codes", "action"},
}
ALIASES = {"organizations": "organisations", "licenses": "licences"}
LICENCE_CLASSES = ("permissive", "copyleft", "restricted", "noncommercial", "custom", "unknown")


@dataclass
class Policy:
    name: str
    rules: dict[str, dict[str, Any]]
    description: str | None = None
    source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "source": self.source, "rules": self.rules}


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


def _str_list(value: Any, where: str, *, country: bool = False, lower: bool = False) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise InputError(f"{where}: expected a list of strings")
    out = []
    for v in value:
        if not isinstance(v, str) or not v.strip() or len(v) > 300:
            raise InputError(f"{where}: {v!r} is not a non-empty string")
        v = v.strip()
        if country:
            if not COUNTRY.match(v.upper()):
                raise InputError(f"{where}: {v!r} is not an ISO 3166-1 alpha-2 country code")
            v = v.upper()
        out.append(v.lower() if lower else v)
    return out


def _choice(value: Any, allowed: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise InputError(f"{where}: {value!r} is not one of {', '.join(allowed)}")
    return value.lower()


def _normalise_rule(key: str, value: Any, what: str) -> dict[str, Any] | None:
    where = f"{what}: {key}"
    # shorthands: `deny_remote_code: true`, `require_safetensors: warn`, `min_grade: config`
    if key in ("require_safetensors", "deny_remote_code"):
        if value is False or value is None:
            return None
        if value is True:
            value = {}
        elif isinstance(value, str):
            value = {"action": value}
    if key == "min_grade" and isinstance(value, str):
        value = {"grade": value}
    if key == "deny_flags" and isinstance(value, list):
        value = {"codes": value}
    if not isinstance(value, dict):
        raise InputError(f"{where}: expected a mapping")
    extra = set(value) - RULE_KEYS[key]
    if extra:
        raise InputError(f"{where}: unknown setting(s) {', '.join(sorted(map(str, extra)))} "
                         f"(allowed: {', '.join(sorted(RULE_KEYS[key]))})")
    rule: dict[str, Any] = {"action": _choice(value.get("action", "fail"), ACTIONS, f"{where}.action")}
    if "unknown" in RULE_KEYS[key]:
        default_unknown = "fail" if key == "licences" else "warn"
        rule["unknown"] = _choice(value.get("unknown", default_unknown), UNKNOWN, f"{where}.unknown")
    if key.endswith("_countries"):
        for k in ("deny", "allow"):
            if k in value:
                rule[k] = _str_list(value[k], f"{where}.{k}", country=True)
        if not ("deny" in rule or "allow" in rule):
            raise InputError(f"{where}: needs 'deny' or 'allow'")
    elif key in ("ids", "organisations"):
        for k in ("deny", "allow"):
            if k in value:
                rule[k] = _str_list(value[k], f"{where}.{k}", lower=True)
        if not ("deny" in rule or "allow" in rule):
            raise InputError(f"{where}: needs 'deny' or 'allow'")
    elif key == "require_safetensors":
        accept = value.get("accept_gguf", True)
        if not isinstance(accept, bool):
            raise InputError(f"{where}.accept_gguf: expected true or false")
        rule["accept_gguf"] = accept
    elif key == "licences":
        if "allow" in value:
            rule["allow"] = _str_list(value["allow"], f"{where}.allow", lower=True)
        if "classes" in value:
            rule["classes"] = [_choice(c, LICENCE_CLASSES, f"{where}.classes")
                               for c in _str_list(value["classes"], f"{where}.classes")]
        if not ("allow" in rule or "classes" in rule):
            raise InputError(f"{where}: needs 'allow' or 'classes'")
        chain = value.get("chain", False)
        if not isinstance(chain, bool):
            raise InputError(f"{where}.chain: expected true or false")
        rule["chain"] = chain
    elif key == "min_grade":
        rule["grade"] = _choice(value.get("grade"), GRADES, f"{where}.grade")
    elif key == "deny_flags":
        rule["codes"] = _str_list(value.get("codes"), f"{where}.codes")
    return rule


def parse_policy(doc: Any, *, what: str) -> Policy:
    """Schema-check a parsed policy document."""
    if not isinstance(doc, dict):
        raise InputError(f"{what}: a policy is a YAML mapping of rules")
    rules: dict[str, dict[str, Any]] = {}
    name, description = doc.get("name"), doc.get("description")
    for raw_key, value in doc.items():
        if raw_key in ("name", "description", "version"):
            continue
        key = ALIASES.get(str(raw_key), str(raw_key))
        if key not in RULE_KEYS:
            raise InputError(f"{what}: unknown rule {raw_key!r} (known: {', '.join(RULE_KEYS)})")
        rule = _normalise_rule(key, value, what)
        if rule is not None:
            rules[key] = rule
    if name is not None and not isinstance(name, str):
        raise InputError(f"{what}: name must be a string")
    if description is not None and not isinstance(description, str):
        raise InputError(f"{what}: description must be a string")
    return Policy(name or what, rules, description, what)


def load_policy(path: str | Path) -> Policy:
    """Read a policy file, or a shipped example by name (``no-prc-roots``)."""
    p = Path(path)
    if not p.exists() and p.suffix == "" and re.match(r"^[a-z0-9-]+$", str(path)):
        shipped = resources.files("modelcensus.audit").joinpath("policies", f"{path}.yaml")
        if shipped.is_file():
            return parse_policy(load_yaml(shipped.read_text("utf-8"), what=f"policy {path}"), what=f"policy {path}")
    what = f"policy {p.name}"
    raw = read_bounded(p, what=what, max_bytes=MAX_POLICY_BYTES)
    return parse_policy(load_yaml(raw, what=what, max_bytes=MAX_POLICY_BYTES), what=what)


def shipped_policies() -> list[str]:
    """Names of the example policies that ship with the package."""
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


def evaluate(policy: Policy | None, s: Subject) -> Verdict:
    """The verdict of ``policy`` on one subject (no policy: pass, with no findings)."""
    if policy is None:
        return Verdict("pass")
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
        orgs = {x for x in [s.publisher_org, s.namespace] if x}
        root_orgs = {x.get("org") for x in s.roots if x.get("org")}
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
    if "deny_flags" in r:
        rule = r["deny_flags"]
        hit = sorted({c for c in s.flag_codes if any(fnmatchcase(c, p) for p in rule["codes"])})
        if hit:
            f.append(Finding("deny_flags", rule["action"], f"flag(s) {', '.join(hit)}"))
    status = max((x.action for x in f if x.action in STATUS_ORDER), key=STATUS_ORDER.index, default="pass")
    decided = next((x.rule for x in f if x.action == status), None)
    return Verdict(status, decided, f)
