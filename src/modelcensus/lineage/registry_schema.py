"""Registry file schema: turn one parsed YAML document into typed entries, or fail naming file, entry and line.

Registry files (package data and the user's ``--registry`` files) are validated by the pydantic models
below (one per entry kind: orgs, renames, families, licences; the file itself), then turned into the
frozen dataclasses the rest of lineage uses. Structural errors (a wrong type, a missing or unknown key —
a misspelt ``contry:`` would otherwise be silently ignored and leave the country unknown) are raised as
:class:`~modelcensus.errors.InputError` naming the file, the entry and, when the file was read with line
numbers (user files always; package files on error), the line. Semantic problems (an unknown country, a
bad regex, a missing evidence line) are left for :meth:`Registry.check` so one file can report all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from modelcensus.errors import InputError
from modelcensus.untrusted import YamlDoc

ORG_TYPES = ("big_tech", "startup", "academic", "non_profit", "government", "individual", "intermediary",
             "community")
LICENSE_CLASSES = ("permissive", "copyleft", "restricted", "noncommercial", "custom", "unknown")
SECTIONS = ("version", "description", "orgs", "renames", "model_aliases", "families", "licenses",
            "license_order", "regions")
MAX_ENTRIES = 20_000
MAX_STR = 1_000
MAX_LIST = 2_000


@dataclass(frozen=True)
class Org:
    """One organisation: who publishes under which Hub namespaces, from where, of what kind."""

    key: str
    name: str
    country: str | None
    org_type: str
    namespaces: tuple[str, ...]
    evidence: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    region: str | None = None
    parent: str | None = None
    notes: str | None = None
    atom_exception: str | None = None  # why our country deliberately disagrees with ATOM's region
    source: str = ""


@dataclass(frozen=True)
class Rename:
    """A Hub namespace that now redirects to another one (``THUDM`` -> ``zai-org``)."""

    old: str
    new: str
    evidence: tuple[str, ...]
    source: str = ""


@dataclass(frozen=True)
class ConfigSignature:
    """One config shape of a family generation: architecture signals plus vocabulary (and hidden) sizes.

    Kept per generation so that, e.g., SmolLM's (llama, 49152) and (smollm3, 128256) never combine into a
    (llama, 128256) claim that would collide with Llama 3.
    """

    model_types: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ()
    gguf_architectures: tuple[str, ...] = ()
    vocab_sizes: tuple[int, ...] = ()
    hidden_sizes: tuple[int, ...] = ()
    root: str | None = None  # the generation's representative root model (else the family's first root)


@dataclass(frozen=True)
class Signature:
    """What a family member looks like when it declares nothing: config shapes, tokens, GGUF traits."""

    configs: tuple[ConfigSignature, ...] = ()
    special_tokens: tuple[str, ...] = ()

    @property
    def model_types(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m for c in self.configs for m in c.model_types))

    @property
    def architectures(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for c in self.configs for a in c.architectures))

    @property
    def gguf_architectures(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a for c in self.configs for a in c.gguf_architectures))

    @property
    def vocab_sizes(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(v for c in self.configs for v in c.vocab_sizes))

    @property
    def hidden_sizes(self) -> tuple[int, ...]:
        return tuple(dict.fromkeys(v for c in self.configs for v in c.hidden_sizes))


@dataclass(frozen=True)
class Family:
    """A model family rooted at one organisation, with what recognises its members."""

    key: str
    name: str
    root_org: str
    root_models: tuple[str, ...]
    name_patterns: tuple[str, ...]
    signature: Signature
    licenses: tuple[str, ...]
    evidence: tuple[str, ...]
    modality: str = "text"
    notes: str | None = None
    source: str = ""


@dataclass(frozen=True)
class License:
    """A Hub licence id and its class (used for licence mix and drift)."""

    id: str
    license_class: str
    name: str | None
    evidence: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    source: str = ""


@dataclass
class RegistryFile:
    """One parsed registry file (package or user)."""

    path: str
    version: str | None
    orgs: list[Org] = field(default_factory=list)
    renames: list[Rename] = field(default_factory=list)
    model_aliases: dict[str, str] = field(default_factory=dict)
    families: list[Family] = field(default_factory=list)
    licenses: list[License] = field(default_factory=list)
    license_order: list[str] | None = None
    regions: dict[str, list[str]] = field(default_factory=dict)


# ----------------------------------------------------------------------------- value types
def _text(value: Any) -> str:
    """A scalar as stripped text (YAML gives ints for e.g. versions); never a bool, list or mapping."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"must be a string, not {type(value).__name__}")
    text = str(value).strip()
    if len(text) > MAX_STR:
        raise ValueError(f"longer than {MAX_STR} characters")
    return text


def _required(value: Any) -> str:
    text = _text(value)
    if not text:
        raise ValueError("is empty")
    return text


def _optional(value: Any) -> str | None:
    return None if value is None else (_text(value) or None)


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("must be a list of strings")
    if len(value) > MAX_LIST:
        raise ValueError(f"has more than {MAX_LIST} items")
    return tuple(t for t in (_text(v) for v in value) if t)


def _lower_texts(value: Any) -> tuple[str, ...]:
    return tuple(t.lower() for t in _texts(value))


def _ints(value: Any) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise ValueError("must be a list of integers")
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 10**9:
            raise ValueError(f"holds {v!r}, not a positive integer")
    return tuple(value)


def _evidence(value: Any) -> tuple[str, ...]:
    """Evidence is a list of strings ("atom: ...") or of {source, ref|note|url} mappings."""
    if value is None:
        return ()
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise ValueError("must be a list")
    out = []
    for item in value:
        if isinstance(item, dict):
            unknown = set(item) - {"source", "ref", "note", "url"}
            if unknown:
                raise ValueError(f"evidence mapping has unknown key(s) {', '.join(sorted(map(str, unknown)))}")
            src = _optional(item.get("source"))
            ref = _optional(item.get("ref") or item.get("note") or item.get("url"))
            text = ": ".join(p for p in (src, ref) if p)
        else:
            text = _text(item)
        if text:
            out.append(text)
    return tuple(out)


Required = Annotated[str, BeforeValidator(_required)]
OptText = Annotated[str | None, BeforeValidator(_optional)]
Texts = Annotated[tuple[str, ...], BeforeValidator(_texts)]
LowerTexts = Annotated[tuple[str, ...], BeforeValidator(_lower_texts)]
Ints = Annotated[tuple[int, ...], BeforeValidator(_ints)]
Evidence = Annotated[tuple[str, ...], BeforeValidator(_evidence)]


# ----------------------------------------------------------------------------- entry models
class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class OrgEntry(_Entry):
    key: Required
    name: OptText = None
    country: OptText = None
    org_type: Required
    namespaces: Texts = ()
    evidence: Evidence = ()
    aliases: Texts = ()
    parent: OptText = None
    notes: OptText = None
    atom_exception: OptText = None


class RenameEntry(_Entry):
    old: Required = Field(alias="from")
    new: Required = Field(alias="to")
    evidence: Evidence = ()


class ConfigShape(_Entry):
    model_types: LowerTexts = ()
    architectures: Texts = ()
    gguf_architectures: LowerTexts = ()
    vocab_sizes: Ints = ()
    hidden_sizes: Ints = ()
    root: OptText = None


class SignatureEntry(ConfigShape):
    """``configs:`` (config shapes) and/or one shape written at the top level, plus ``special_tokens``."""

    configs: list[ConfigShape] = Field(default_factory=list, max_length=200)
    special_tokens: Texts = ()


class FamilyEntry(_Entry):
    key: Required
    name: OptText = None
    root_org: Required
    root_models: Texts = ()
    name_patterns: Texts = ()
    signature: SignatureEntry = Field(default_factory=SignatureEntry)
    licenses: LowerTexts = ()
    evidence: Evidence = ()
    modality: OptText = None
    notes: OptText = None


class LicenseEntry(_Entry):
    id: Required = Field(validation_alias=AliasChoices("id", "key"))
    license_class: Required = Field(alias="class")
    name: OptText = None
    evidence: Evidence = ()
    aliases: LowerTexts = ()


class FileHeader(BaseModel):
    """The file's own keys; entry sections are validated one entry at a time (so errors name the entry)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    version: OptText = None
    description: OptText = None
    orgs: Any = None
    renames: Any = None
    families: Any = None
    licenses: Any = None
    model_aliases: dict[Required, Required] | None = Field(default=None, max_length=MAX_ENTRIES)
    license_order: Texts | None = None
    regions: dict[Required, Texts] | None = None


ENTRY_MODELS: dict[str, tuple[type[_Entry], str, str]] = {  # section -> (model, entry word, key field)
    "orgs": (OrgEntry, "org", "key"),
    "renames": (RenameEntry, "rename", "from"),
    "families": (FamilyEntry, "family", "key"),
    "licenses": (LicenseEntry, "license", "id"),
}


# ----------------------------------------------------------------------------- errors
class _Where:
    """Names the file, entry and line of an error."""

    def __init__(self, path: str, doc: YamlDoc | None) -> None:
        self.path, self.doc = path, doc

    def error(self, yaml_path: tuple[Any, ...], entry: str | None, message: str) -> InputError:
        line = self.doc.line(yaml_path) if self.doc is not None else None
        parts = [self.path] + ([f"line {line}"] if line else []) + ([entry] if entry else []) + [message]
        return InputError(": ".join(parts))

    def from_validation(self, exc: ValidationError, base: tuple[Any, ...], entry: str | None) -> InputError:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "entry"
        kind, msg = err["type"], err["msg"].removeprefix("Value error, ")
        if kind == "missing":
            text = f"missing '{key}'"
        elif kind == "extra_forbidden":
            text = f"unknown key '{key}'"
        elif kind in ("model_type", "dict_type"):
            text = f"'{key}' must be a mapping, got {type(err.get('input')).__name__}"
        else:
            text = f"'{key}' {msg}"
        more = len(exc.errors()) - 1
        if more:
            text += f" (and {more} more problem(s) in this entry)"
        return self.error((*base, *loc), entry, text)


def _entries(doc: dict[str, Any], section: str, where: _Where) -> list[tuple[tuple[Any, ...], Any]]:
    """(YAML path, raw entry) of a section given as a list, or as a ``key: {...}`` mapping."""
    value = doc.get(section)
    if value is None:
        return []
    model, _, key_field = ENTRY_MODELS[section]
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            if not isinstance(v, dict):
                raise where.error((section, k), f"{section} {k!r}", f"expected a mapping, got {type(v).__name__}")
            out.append(((section, k), {key_field: k, **v}))
        value_list = out
    elif isinstance(value, list):
        value_list = [((section, i), v) for i, v in enumerate(value)]
    else:
        raise where.error((section,), None, f"'{section}' must be a list")
    if len(value_list) > MAX_ENTRIES:
        raise where.error((section,), None, f"'{section}' has more than {MAX_ENTRIES} entries")
    return value_list


def _validate(section: str, yaml_path: tuple[Any, ...], raw: Any, where: _Where) -> _Entry:
    model, word, key_field = ENTRY_MODELS[section]
    label = f"{section}[{yaml_path[-1]}]" if isinstance(yaml_path[-1], int) else f"{word} {yaml_path[-1]!r}"
    if not isinstance(raw, dict):
        raise where.error(yaml_path, label, f"expected a mapping, got {type(raw).__name__}")
    key = raw.get(key_field) if key_field != "id" else (raw.get("id") or raw.get("key"))
    if isinstance(key, str) and key.strip():
        label = f"{word} {key.strip()!r}"
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise where.from_validation(exc, yaml_path, label) from None


# ----------------------------------------------------------------------------- to the dataclasses
def _to_org(e: OrgEntry, path: str) -> Org:
    return Org(key=e.key, name=e.name or e.key, country=e.country, org_type=e.org_type, namespaces=e.namespaces,
               evidence=e.evidence, aliases=e.aliases, parent=e.parent, notes=e.notes,
               atom_exception=e.atom_exception, source=path)


def _to_shape(c: ConfigShape) -> ConfigSignature:
    return ConfigSignature(model_types=c.model_types, architectures=c.architectures,
                           gguf_architectures=c.gguf_architectures, vocab_sizes=c.vocab_sizes,
                           hidden_sizes=c.hidden_sizes, root=c.root)


def _to_family(e: FamilyEntry, path: str) -> Family:
    configs = [_to_shape(c) for c in e.signature.configs]
    top = _to_shape(e.signature)
    if top != ConfigSignature():
        configs.append(top)
    return Family(key=e.key, name=e.name or e.key, root_org=e.root_org, root_models=e.root_models,
                  name_patterns=e.name_patterns,
                  signature=Signature(configs=tuple(configs), special_tokens=e.signature.special_tokens),
                  licenses=e.licenses, evidence=e.evidence, modality=e.modality or "text", notes=e.notes,
                  source=path)


def parse_file(doc: Any, path: str) -> RegistryFile:
    """Typed entries of one registry document (a parsed value, or a :class:`YamlDoc` with line numbers);
    :class:`InputError` naming ``path``, the entry and the line on bad structure."""
    ydoc = doc if isinstance(doc, YamlDoc) else None
    raw = ydoc.value if ydoc is not None else doc
    where = _Where(path, ydoc)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise where.error((), None, f"a registry file must be a YAML mapping with sections {', '.join(SECTIONS)}")
    unknown = [str(k) for k in raw if k not in SECTIONS]
    if unknown:
        raise where.error((unknown[0],), None, f"unknown section(s) {', '.join(unknown[:5])} "
                                               f"(expected {', '.join(SECTIONS)})")
    try:
        header = FileHeader.model_validate(raw)
    except ValidationError as exc:
        raise where.from_validation(exc, (), None) from None
    rf = RegistryFile(path=path, version=header.version)
    for section in ENTRY_MODELS:
        entries = [_validate(section, yp, r, where) for yp, r in _entries(raw, section, where)]
        if section == "orgs":
            rf.orgs = [_to_org(e, path) for e in entries]  # type: ignore[arg-type]
        elif section == "renames":
            rf.renames = [Rename(old=e.old, new=e.new, evidence=e.evidence, source=path)  # type: ignore[attr-defined]
                          for e in entries]
        elif section == "families":
            rf.families = [_to_family(e, path) for e in entries]  # type: ignore[arg-type]
        else:
            rf.licenses = [License(id=e.id.lower(), license_class=e.license_class, name=e.name,  # type: ignore[attr-defined]
                                   evidence=e.evidence, aliases=e.aliases, source=path)  # type: ignore[attr-defined]
                           for e in entries]
    rf.model_aliases = {k.lower(): v for k, v in (header.model_aliases or {}).items()}
    rf.license_order = list(header.license_order) if header.license_order is not None else None
    rf.regions = {name: [c.upper() for c in codes] for name, codes in (header.regions or {}).items()}
    return rf
