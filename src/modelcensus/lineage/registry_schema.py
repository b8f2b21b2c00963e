"""Registry file schema: turn one parsed YAML document into typed entries, or fail naming file and entry.

Registry files (package data and the user's ``--registry`` files) are parsed into plain
dataclasses here. Structural errors (a wrong type, a missing key) are raised as
:class:`~modelcensus.errors.InputError`; semantic problems (an unknown country, a bad regex,
a missing evidence line) are left for :meth:`Registry.check` so one file can report all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelcensus.errors import InputError

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


def _where(path: str, entry: str | None) -> str:
    return f"{path}: {entry}" if entry else path


def _str(value: Any, path: str, entry: str | None, key: str, *, optional: bool = False) -> str | None:
    if value is None:
        if optional:
            return None
        raise InputError(f"{_where(path, entry)}: missing '{key}'")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError(f"{_where(path, entry)}: '{key}' must be a string, not {type(value).__name__}")
    text = str(value).strip()
    if len(text) > MAX_STR:
        raise InputError(f"{_where(path, entry)}: '{key}' longer than {MAX_STR} characters")
    if not text and not optional:
        raise InputError(f"{_where(path, entry)}: '{key}' is empty")
    return text or None


def _strs(value: Any, path: str, entry: str | None, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise InputError(f"{_where(path, entry)}: '{key}' must be a list of strings")
    if len(value) > MAX_LIST:
        raise InputError(f"{_where(path, entry)}: '{key}' has more than {MAX_LIST} items")
    return tuple(s for s in (_str(v, path, entry, key) for v in value) if s)


def _ints(value: Any, path: str, entry: str | None, key: str) -> tuple[int, ...]:
    if value is None:
        return ()
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise InputError(f"{_where(path, entry)}: '{key}' must be a list of integers")
    result = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v < 10**9:
            raise InputError(f"{_where(path, entry)}: '{key}' holds {v!r}, not a positive integer")
        result.append(v)
    return tuple(result)


def _evidence(value: Any, path: str, entry: str | None) -> tuple[str, ...]:
    """Evidence is a list of strings ("atom: ...") or of {source, ref|note} mappings."""
    if value is None:
        return ()
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_LIST:
        raise InputError(f"{_where(path, entry)}: 'evidence' must be a list")
    result = []
    for item in value:
        if isinstance(item, dict):
            src = _str(item.get("source"), path, entry, "evidence.source", optional=True)
            ref = _str(item.get("ref") or item.get("note") or item.get("url"), path, entry, "evidence.ref",
                       optional=True)
            text = ": ".join(p for p in (src, ref) if p)
        else:
            text = _str(item, path, entry, "evidence", optional=True) or ""
        if text:
            result.append(text)
    return tuple(result)


def _mapping(value: Any, path: str, entry: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(f"{_where(path, entry)}: expected a mapping, got {type(value).__name__}")
    return value


def _entries(doc: dict[str, Any], section: str, path: str) -> list[Any]:
    value = doc.get(section)
    if value is None:
        return []
    if isinstance(value, dict):  # allow "key: {...}" mappings as well as lists
        value = [{"key": k, **(v if isinstance(v, dict) else {"_bad": v})} for k, v in value.items()]
    if not isinstance(value, list):
        raise InputError(f"{path}: '{section}' must be a list")
    if len(value) > MAX_ENTRIES:
        raise InputError(f"{path}: '{section}' has more than {MAX_ENTRIES} entries")
    return value


def _org(raw: Any, path: str, i: int) -> Org:
    entry = f"orgs[{i}]"
    m = _mapping(raw, path, entry)
    key = _str(m.get("key"), path, entry, "key")
    entry = f"org {key!r}"
    return Org(
        key=key,
        name=_str(m.get("name"), path, entry, "name", optional=True) or key,
        country=(_str(m.get("country"), path, entry, "country", optional=True) or None),
        org_type=_str(m.get("org_type"), path, entry, "org_type"),
        namespaces=_strs(m.get("namespaces"), path, entry, "namespaces"),
        evidence=_evidence(m.get("evidence"), path, entry),
        aliases=_strs(m.get("aliases"), path, entry, "aliases"),
        parent=_str(m.get("parent"), path, entry, "parent", optional=True),
        notes=_str(m.get("notes"), path, entry, "notes", optional=True),
        atom_exception=_str(m.get("atom_exception"), path, entry, "atom_exception", optional=True),
        source=path,
    )


def _rename(raw: Any, path: str, i: int) -> Rename:
    entry = f"renames[{i}]"
    m = _mapping(raw, path, entry)
    old = _str(m.get("from"), path, entry, "from")
    entry = f"rename {old!r}"
    return Rename(old=old, new=_str(m.get("to"), path, entry, "to"),
                  evidence=_evidence(m.get("evidence"), path, entry), source=path)


def _family(raw: Any, path: str, i: int) -> Family:
    entry = f"families[{i}]"
    m = _mapping(raw, path, entry)
    key = _str(m.get("key"), path, entry, "key")
    entry = f"family {key!r}"
    sig = m.get("signature") or {}
    sig = _mapping(sig, path, entry + " signature")
    return Family(
        key=key,
        name=_str(m.get("name"), path, entry, "name", optional=True) or key,
        root_org=_str(m.get("root_org"), path, entry, "root_org"),
        root_models=_strs(m.get("root_models"), path, entry, "root_models"),
        name_patterns=_strs(m.get("name_patterns"), path, entry, "name_patterns"),
        signature=_signature(sig, path, entry),
        licenses=tuple(s.lower() for s in _strs(m.get("licenses"), path, entry, "licenses")),
        evidence=_evidence(m.get("evidence"), path, entry),
        modality=_str(m.get("modality"), path, entry, "modality", optional=True) or "text",
        notes=_str(m.get("notes"), path, entry, "notes", optional=True),
        source=path,
    )


def _config_sig(m: dict[str, Any], path: str, entry: str) -> ConfigSignature:
    return ConfigSignature(
        model_types=tuple(s.lower() for s in _strs(m.get("model_types"), path, entry, "model_types")),
        architectures=_strs(m.get("architectures"), path, entry, "architectures"),
        gguf_architectures=tuple(s.lower() for s in _strs(m.get("gguf_architectures"), path, entry,
                                                           "gguf_architectures")),
        vocab_sizes=_ints(m.get("vocab_sizes"), path, entry, "vocab_sizes"),
        hidden_sizes=_ints(m.get("hidden_sizes"), path, entry, "hidden_sizes"),
        root=_str(m.get("root"), path, entry, "root", optional=True),
    )


def _signature(sig: dict[str, Any], path: str, entry: str) -> Signature:
    """``configs:`` (a list of config shapes) and/or top-level shape keys, plus ``special_tokens``."""
    configs = []
    raw_configs = sig.get("configs") or []
    if not isinstance(raw_configs, list) or len(raw_configs) > 200:
        raise InputError(f"{path}: {entry}: 'signature.configs' must be a list of mappings")
    for j, c in enumerate(raw_configs):
        configs.append(_config_sig(_mapping(c, path, f"{entry} signature.configs[{j}]"), path, entry))
    top = _config_sig(sig, path, entry)
    if top != ConfigSignature():
        configs.append(top)
    unknown = set(sig) - {"configs", "special_tokens", "model_types", "architectures", "gguf_architectures",
                          "vocab_sizes", "hidden_sizes", "root"}
    if unknown:
        raise InputError(f"{path}: {entry}: unknown signature key(s) {', '.join(sorted(map(str, unknown)))}")
    return Signature(configs=tuple(configs),
                     special_tokens=_strs(sig.get("special_tokens"), path, entry, "special_tokens"))


def _license(raw: Any, path: str, i: int) -> License:
    entry = f"licenses[{i}]"
    m = _mapping(raw, path, entry)
    lid = _str(m.get("id") or m.get("key"), path, entry, "id")
    entry = f"license {lid!r}"
    return License(
        id=lid.lower(),
        license_class=_str(m.get("class"), path, entry, "class"),
        name=_str(m.get("name"), path, entry, "name", optional=True),
        evidence=_evidence(m.get("evidence"), path, entry),
        aliases=tuple(a.lower() for a in _strs(m.get("aliases"), path, entry, "aliases")),
        source=path,
    )


def parse_file(doc: Any, path: str) -> RegistryFile:
    """Typed entries of one registry document; InputError naming ``path`` and the entry on bad structure."""
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise InputError(f"{path}: a registry file must be a YAML mapping with sections {', '.join(SECTIONS)}")
    unknown = [str(k) for k in doc if k not in SECTIONS]
    if unknown:
        raise InputError(f"{path}: unknown section(s) {', '.join(unknown[:5])} (expected {', '.join(SECTIONS)})")
    rf = RegistryFile(path=path, version=_str(doc.get("version"), path, None, "version", optional=True))
    rf.orgs = [_org(r, path, i) for i, r in enumerate(_entries(doc, "orgs", path))]
    rf.renames = [_rename(r, path, i) for i, r in enumerate(_entries(doc, "renames", path))]
    rf.families = [_family(r, path, i) for i, r in enumerate(_entries(doc, "families", path))]
    rf.licenses = [_license(r, path, i) for i, r in enumerate(_entries(doc, "licenses", path))]
    aliases = doc.get("model_aliases") or {}
    if not isinstance(aliases, dict) or len(aliases) > MAX_ENTRIES:
        raise InputError(f"{path}: 'model_aliases' must be a mapping of legacy id -> canonical id")
    for k, v in aliases.items():
        old = _str(k, path, "model_aliases", "legacy id")
        rf.model_aliases[old.lower()] = _str(v, path, f"model_aliases {old!r}", "canonical id")
    order = doc.get("license_order")
    if order is not None:
        rf.license_order = list(_strs(order, path, "license_order", "license_order"))
    regions = doc.get("regions") or {}
    if not isinstance(regions, dict):
        raise InputError(f"{path}: 'regions' must be a mapping of region -> list of country codes")
    for name, codes in regions.items():
        rname = _str(name, path, "regions", "region")
        rf.regions[rname] = [c.upper() for c in _strs(codes, path, f"region {rname!r}", "countries")]
    return rf
