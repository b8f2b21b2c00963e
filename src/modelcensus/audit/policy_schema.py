"""The policy schema (pydantic v2): what a policy file may say, checked so it never means less than it reads.

A policy is a gate, so a file that looks strict but is not must be refused, never half-applied:
a misspelt or upper-case flag code, a glob that matches no flag, a key given twice, a rule that
denies nothing, a country that is not ISO 3166-1 are each an :class:`InputError` naming the line and
the key (exit 2). Flag codes are checked against the one flag catalogue (``audit.flags``); countries
against the registry's ``countries.csv``.

The schema is the pydantic models below. Shorthands (``deny_remote_code: true``, ``min_grade: tag``,
``deny: CN``, a bare list of flag codes) are expanded into the canonical form first by
:func:`_desugar`, which also remembers where in the YAML each canonical value came from, so that a
schema error points at the line the user wrote.
"""

from __future__ import annotations

import difflib
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from modelcensus.errors import InputError
from modelcensus.untrusted import YamlDoc

# the value sets are spelt once, as Literal types mypy can read; the tuples are derived from them
GradeName = Literal["declared", "hub", "tag", "config", "tokenizer", "name"]
LicenceClassName = Literal["permissive", "copyleft", "restricted", "noncommercial", "custom", "unknown"]
GRADES: tuple[str, ...] = get_args(GradeName)
LICENCE_CLASSES: tuple[str, ...] = get_args(LicenceClassName)
KEY_ALIASES = {"organizations": "organisations", "licenses": "licences"}
MAX_LIST = 10_000
MAX_ERRORS = 10
GLOB_CHARS = "*?["


# ----------------------------------------------------------------------------- value types
@lru_cache(maxsize=1)
def _countries() -> frozenset[str]:
    from modelcensus.lineage.registry import country_codes

    return frozenset(country_codes())


@lru_cache(maxsize=1)
def flag_catalogue() -> tuple[str, ...]:
    """Every flag code the audit can raise (from ``audit.flags``, the one catalogue)."""
    from modelcensus.audit.flags import flag_codes

    return tuple(sorted(flag_codes()))


def _suggest(value: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(value.lower(), list(choices), n=1, cutoff=0.75)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in _countries():
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code (e.g. CN, US, FR)")
    return code


def _flag_code(value: str) -> str:
    catalogue = flag_catalogue()
    if value != value.lower():
        raise ValueError(f"{value!r}: flag codes are lower case ({value.lower()!r})")
    if any(c in value for c in GLOB_CHARS):
        if not any(fnmatchcase(code, value) for code in catalogue):
            raise ValueError(f"glob {value!r} matches no flag code (codes: {', '.join(catalogue)})")
    elif value not in catalogue:
        hint = _suggest(value, catalogue) or f" (codes: {', '.join(catalogue)})"
        raise ValueError(f"{value!r} is not a flag code{hint}")
    return value


def _version(value: Any) -> Any:
    """``version: 1.0`` and ``version: 3`` are versions too (YAML reads them as numbers)."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _pattern(value: str) -> str:
    text = value.strip().lower()
    if not text:
        raise ValueError("an empty pattern")
    return text


Text = Annotated[str, Field(min_length=1, max_length=300)]
Country = Annotated[Text, AfterValidator(_country)]
FlagCode = Annotated[Text, AfterValidator(_flag_code)]
Pattern = Annotated[Text, AfterValidator(_pattern)]
Action = Annotated[Literal["fail", "warn"], BeforeValidator(_lower)]
Unknown = Annotated[Literal["pass", "warn", "fail"], BeforeValidator(_lower)]
Grade = Annotated[GradeName, BeforeValidator(_lower)]
LicenceClass = Annotated[LicenceClassName, BeforeValidator(_lower)]


# ----------------------------------------------------------------------------- rules
class Rule(BaseModel):
    """Settings every rule has: what breaking it gives."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    action: Action = "fail"


def _both(deny: list[str], allow: list[str], what: str) -> None:
    if not deny and not allow:
        raise ValueError(f"lists no {what} in 'deny' or 'allow': the rule would never fire")
    both = sorted(set(deny) & set(allow))
    if both:
        raise ValueError(f"{', '.join(both)} both denied and allowed")


class CountriesRule(Rule):
    deny: list[Country] = Field(default_factory=list, max_length=MAX_LIST)
    allow: list[Country] = Field(default_factory=list, max_length=MAX_LIST)
    unknown: Unknown = "warn"

    @model_validator(mode="after")
    def _effective(self) -> CountriesRule:
        _both(self.deny, self.allow, "country")
        return self


class ListRule(Rule):
    deny: list[Pattern] = Field(default_factory=list, max_length=MAX_LIST)
    allow: list[Pattern] = Field(default_factory=list, max_length=MAX_LIST)

    @model_validator(mode="after")
    def _effective(self) -> ListRule:
        _both(self.deny, self.allow, "pattern")
        return self


class SafetensorsRule(Rule):
    accept_gguf: bool = True
    unknown: Unknown = "warn"


class RemoteCodeRule(Rule):
    pass


class LicencesRule(Rule):
    allow: list[Pattern] = Field(default_factory=list, max_length=MAX_LIST)
    classes: list[LicenceClass] = Field(default_factory=list, max_length=len(LICENCE_CLASSES))
    chain: bool = False
    unknown: Unknown = "fail"

    @model_validator(mode="after")
    def _effective(self) -> LicencesRule:
        if not self.allow and not self.classes:
            raise ValueError("lists no licence in 'allow' and no class in 'classes': nothing would pass")
        return self


class GradeRule(Rule):
    grade: Grade


class FlagsRule(Rule):
    """Fail (or warn) on flags whose code matches one of ``codes`` (exact codes or globs)."""

    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9_-]*$")] | None = None
    codes: list[FlagCode] = Field(min_length=1, max_length=MAX_LIST)


class PolicyModel(BaseModel):
    """A policy document (canonical form; see the module docstring for shorthands)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    description: Annotated[str, Field(max_length=4000)] | None = None
    version: Annotated[str, BeforeValidator(_version), Field(max_length=200)] | None = None
    baseline: bool = True
    root_countries: CountriesRule | None = None
    publisher_countries: CountriesRule | None = None
    teacher_countries: CountriesRule | None = None
    ids: ListRule | None = None
    organisations: ListRule | None = None
    require_safetensors: SafetensorsRule | None = None
    deny_remote_code: RemoteCodeRule | None = None
    licences: LicencesRule | None = None
    min_grade: GradeRule | None = None
    deny_flags: list[FlagsRule] | None = Field(default=None, max_length=100)

    @model_validator(mode="after")
    def _some_rule(self) -> PolicyModel:
        if not any(getattr(self, k) for k in RULES):
            raise ValueError(f"no rule: a policy needs at least one of {', '.join(RULES)} "
                             "(for a report without a verdict use --policy none)")
        return self


RULES: tuple[str, ...] = tuple(k for k in PolicyModel.model_fields if k not in ("name", "description", "version",
                                                                              "baseline"))
_LIST_KEYS = {"deny", "allow", "classes", "codes"}


# ----------------------------------------------------------------------------- shorthands
def _desugar(raw: dict[Any, Any]) -> tuple[dict[str, Any], dict[tuple[Any, ...], tuple[Any, ...]]]:
    """The canonical document, and for each canonical path the YAML path it came from."""
    doc: dict[str, Any] = {}
    origin: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def copy(value: Any, new: tuple[Any, ...], old: tuple[Any, ...]) -> Any:
        origin[new] = old
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k in _LIST_KEYS and isinstance(v, str):  # `deny: CN` is `deny: [CN]`
                    origin[(*new, k, 0)] = (*old, k)
                    out[k] = [v]
                    origin[(*new, k)] = (*old, k)
                else:
                    out[k] = copy(v, (*new, k), (*old, k))
            return out
        if isinstance(value, list):
            return [copy(v, (*new, i), (*old, i)) for i, v in enumerate(value)]
        return value

    for raw_key, value in raw.items():
        key = KEY_ALIASES.get(raw_key, raw_key) if isinstance(raw_key, str) else raw_key
        old, new = (raw_key,), (key,)
        if key in ("require_safetensors", "deny_remote_code"):
            if value is False or value is None:  # rule switched off
                continue
            if value is True:
                value = {}
            elif isinstance(value, str):
                value = {"action": value}
                origin[(key, "action")] = old
        elif value is None and key in RULES:  # `root_countries:` left empty is a mistake, not "off"
            value = {}
        elif key == "min_grade" and isinstance(value, str):
            value = {"grade": value}
            origin[(key, "grade")] = old
        elif key == "deny_flags":
            if isinstance(value, list) and all(isinstance(v, str) for v in value):  # a bare list of codes
                origin[(key,)] = old
                origin[(key, 0)] = old
                origin[(key, 0, "codes")] = old
                doc[key] = [{"codes": [copy(v, (key, 0, "codes", i), (*old, i)) for i, v in enumerate(value)]}]
                continue
            if isinstance(value, dict):  # one rule
                origin[(key,)] = old
                doc[key] = [copy(value, (key, 0), old)]
                continue
        doc[key] = copy(value, new, old)
    return doc, origin


# ----------------------------------------------------------------------------- errors
def _path_text(path: tuple[Any, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _message(err: ErrorDetails, loc: tuple[Any, ...]) -> str:
    kind, msg = err["type"], err["msg"]
    if kind == "extra_forbidden":
        key = loc[-1]
        if len(loc) == 1:
            return (f"unknown rule {key!r}{_suggest(str(key), RULES)} (known: {', '.join(RULES)}; "
                    "also name, description, version, baseline)")
        parent = _model_at(loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        return f"unknown setting {key!r}{_suggest(str(key), allowed)} (allowed: {', '.join(allowed)})"
    if kind == "value_error":
        return msg.removeprefix("Value error, ")
    if kind == "literal_error":
        return f"{err.get('input')!r} is not allowed: {msg.removeprefix('Input should be ')}"
    if kind in ("model_type", "dict_type"):
        return f"expected a mapping of settings, got {type(err.get('input')).__name__}"
    if kind == "bool_type":
        return f"expected true or false, got {err.get('input')!r}"
    if kind == "string_type":
        got = err.get("input")
        hint = " (YAML reads unquoted NO, yes, on, off as booleans: quote it, e.g. 'NO')" \
            if isinstance(got, bool) else ""
        return f"expected a string, got {got!r}{hint}"
    if kind == "missing":
        return f"missing {loc[-1]!r}"
    if kind == "too_short" and "List" in msg:
        return "an empty list: the rule would never fire"
    return f"{msg} (got {err.get('input')!r})" if "input" in err and not isinstance(err["input"], dict) else msg


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: Any = PolicyModel
    for part in loc:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        ann = field.annotation
        for arg in (*getattr(ann, "__args__", ()), ann):
            inner = getattr(arg, "__args__", (arg,))[0] if getattr(arg, "__origin__", None) is list else arg
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                model = inner
                break
        else:
            return None
    return model if isinstance(model, type) else None


def _errors(exc: ValidationError, origin: dict[tuple[Any, ...], tuple[Any, ...]], doc: YamlDoc,
            what: str) -> InputError:
    lines = []  # one line per problem, joined with "; " (the CLI prints a message on one line)
    for err in exc.errors()[:MAX_ERRORS]:
        loc = tuple(err["loc"])
        old = origin.get(loc)
        if old is None:  # a missing key: name it under the nearest key the file has
            parent = next((origin[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in origin), ())
            old = (*parent, *loc[len(parent):]) if len(loc) > len(parent) else parent
        line = doc.line(old)
        where = f"line {line}: " if line else ""
        lines.append(f"{where}{_path_text(old)}: {_message(err, loc)}")
    more = len(exc.errors()) - MAX_ERRORS
    if more > 0:
        lines.append(f"... and {more} more error(s)")
    return InputError(f"{what}: " + "; ".join(lines))


def validate_policy(doc: YamlDoc, *, what: str) -> PolicyModel:
    """Schema-check a loaded policy document; :class:`InputError` naming line and key otherwise."""
    raw = doc.value
    if not isinstance(raw, dict):
        line = doc.line(())
        where = f"line {line}: " if line else ""
        raise InputError(f"{what}: {where}a policy is a YAML mapping of rules, got "
                         f"{'an empty file' if raw is None else type(raw).__name__}")
    bad = [k for k in raw if not isinstance(k, str)]
    if bad:
        raise InputError(f"{what}: line {doc.line((bad[0],))}: key {bad[0]!r} is not a string")
    canonical, origin = _desugar(raw)
    try:
        return PolicyModel.model_validate(canonical)
    except ValidationError as exc:
        raise _errors(exc, origin, doc, what) from None
