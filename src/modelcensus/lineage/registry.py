"""The registry: who is behind a Hub namespace, which family a model belongs to, how open a licence is.

Knowledge lives in YAML/CSV package data (``lineage/data/``), each entry with evidence; users add
or override entries with their own files (``--registry FILE``; later files win). This module loads,
merges, validates and answers lookups, and publishes the registry into DuckDB as TEMP tables so
lineage and metrics can join against it set-wise.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError
from modelcensus.lineage.registry_match import FamilyIndex, FamilyMatch, FamilyMatches, unsafe_regex_reason
from modelcensus.lineage.registry_schema import (
    LICENSE_CLASSES,
    ORG_TYPES,
    ConfigSignature,
    Family,
    License,
    Org,
    RegistryFile,
    Rename,
    Signature,
    parse_file,
)
from modelcensus.untrusted import load_yaml, load_yaml_doc, read_bounded

__all__ = ["Registry", "load_registry", "check_registry", "NamespaceInfo", "Org", "Family", "Signature",
           "ConfigSignature", "License", "FamilyMatch", "FamilyMatches", "RegistryProblem", "ORG_TYPES",
           "LICENSE_CLASSES"]

PACKAGE_FILES = ("regions.yaml", "organisations.yaml", "families.yaml", "licenses.yaml")
COUNTRIES_FILE = "countries.csv"
USER_FILE_MAX_BYTES = 2_000_000
MAX_RENAME_HOPS = 16
DEFAULT_LICENSE_ORDER = ("permissive", "copyleft", "restricted", "noncommercial")
_NAMESPACE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


@dataclass(frozen=True)
class NamespaceInfo:
    """What the registry knows about one Hub namespace (after following renames)."""

    namespace: str                 # canonical spelling of the namespace that holds the org now
    org_key: str
    org: str                       # display name
    country: str | None            # ISO 3166-1 alpha-2, None when unknown
    region: str | None             # 'EU', 'Europe', 'North America', 'East Asia', ...
    org_type: str
    evidence: tuple[str, ...]
    queried: str = ""              # the spelling asked for
    renamed_from: str | None = None  # the old namespace when a rename was followed

    def as_dict(self) -> dict[str, Any]:
        return {"namespace": self.namespace, "org_key": self.org_key, "org": self.org, "country": self.country,
                "region": self.region, "org_type": self.org_type, "evidence": list(self.evidence),
                "renamed_from": self.renamed_from}


@dataclass(frozen=True)
class RegistryProblem:
    """One finding of :meth:`Registry.check`: which file, which entry, what kind, what is wrong."""

    file: str
    entry: str
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.entry}: {self.message} [{self.kind}]"

    def as_dict(self) -> dict[str, str]:
        return {"file": self.file, "entry": self.entry, "kind": self.kind, "message": self.message}


@dataclass
class Registry:
    """Merged registry (package data first, then user files in order; later entries win)."""

    files: list[RegistryFile]
    countries: dict[str, str]                       # ISO code -> English name
    version: str = ""
    orgs_by_key: dict[str, Org] = field(default_factory=dict)
    renames: dict[str, Rename] = field(default_factory=dict)          # old namespace (lower) -> rename
    model_aliases: dict[str, str] = field(default_factory=dict)       # legacy id (lower) -> canonical id
    families_by_key: dict[str, Family] = field(default_factory=dict)
    licenses_by_id: dict[str, License] = field(default_factory=dict)  # id and aliases (lower) -> licence
    license_order: tuple[str, ...] = DEFAULT_LICENSE_ORDER
    regions: dict[str, list[str]] = field(default_factory=dict)
    _ns: dict[str, tuple[str, str]] = field(default_factory=dict)     # namespace lower -> (spelling, org key)
    _country_region: dict[str, str] = field(default_factory=dict)
    _index: FamilyIndex | None = None

    # ---------------------------------------------------------------- building
    def _merge(self) -> None:
        for rf in self.files:
            for org in rf.orgs:
                old = self.orgs_by_key.get(org.key)
                if old is not None:  # an override takes the old entry's namespaces away from it
                    for ns in old.namespaces:
                        if self._ns.get(ns.lower(), ("", ""))[1] == org.key:
                            del self._ns[ns.lower()]
                self.orgs_by_key[org.key] = org
                for ns in org.namespaces:
                    self._ns[ns.lower()] = (ns, org.key)
            for rn in rf.renames:
                self.renames[rn.old.lower()] = rn
            self.model_aliases.update(rf.model_aliases)
            for fam in rf.families:
                self.families_by_key[fam.key] = fam
            for lic in rf.licenses:
                self.licenses_by_id[lic.id] = lic
                for alias in lic.aliases:
                    self.licenses_by_id[alias] = lic
            if rf.license_order:
                self.license_order = tuple(rf.license_order)
            for name, codes in rf.regions.items():
                self.regions[name] = codes
        # A namespace claimed by a later org is no longer the earlier org's.
        self._country_region = {}
        for name in self.region_priority():
            for code in self.regions.get(name, ()):
                self._country_region.setdefault(code, name)
        self._index = FamilyIndex.build(self.families_by_key.values())

    def region_priority(self) -> list[str]:
        """Region groups in lookup order: 'EU' before the wider 'Europe', then the rest as written."""
        names = [n for n in self.regions if not n.startswith("atom_")]
        return sorted(names, key=lambda n: (n != "EU", n == "Europe"))

    # ---------------------------------------------------------------- lookups
    def region_of(self, country: str | None) -> str | None:
        """Region grouping of a country ('EU' for members, 'Europe' for the rest of Europe, ...)."""
        return self._country_region.get(country.upper()) if country else None

    def in_region(self, country: str | None, region: str) -> bool:
        """Membership test against any region group, e.g. ``in_region('FR', 'Europe')``."""
        if not country:
            return False
        return country.upper() in self.regions.get(region, ())

    def atom_region(self, country: str | None) -> str:
        """ATOM's namespace bucket for a country: us | china | eu | other | unknown."""
        if not country:
            return "unknown"
        for bucket in ("us", "china", "eu"):
            if country.upper() in self.regions.get(f"atom_{bucket}", ()):
                return bucket
        return "other"

    def resolve_namespace(self, namespace: str) -> tuple[str, str | None]:
        """Follow renames (bounded, cycle-safe): (current namespace, first old name or None)."""
        current, first_old, seen = namespace.strip(), None, set()
        for _ in range(MAX_RENAME_HOPS):
            low = current.lower()
            if low in seen or low not in self.renames:
                break
            seen.add(low)
            first_old = first_old or self.renames[low].old
            current = self.renames[low].new
        return current, first_old

    def lookup_namespace(self, namespace: str | None) -> NamespaceInfo | None:
        """Registry entry for a Hub namespace; case-insensitive; follows renames. None when unknown."""
        if not namespace or not isinstance(namespace, str):
            return None
        queried = namespace.strip()
        current, old = self.resolve_namespace(queried)
        hit = self._ns.get(current.lower())
        if hit is None and old is not None:  # an unresolvable rename: fall back to the old name if it is known
            hit, current, old = self._ns.get(queried.lower()), queried, None
        if hit is None:
            return None
        spelling, key = hit
        org = self.orgs_by_key[key]
        return NamespaceInfo(spelling, key, org.name, org.country, self.region_of(org.country), org.org_type,
                             org.evidence, queried, old)

    def canonical_model_id(self, model_id: str) -> str:
        """The current id of a legacy un-namespaced canonical id (``gpt2`` -> ``openai-community/gpt2``)."""
        mid = model_id.strip()
        canon = self.model_aliases.get(mid.lower())
        if canon:
            return canon
        if "/" in mid:
            ns, rest = mid.split("/", 1)
            new, old = self.resolve_namespace(ns)
            if old is not None:
                return f"{new}/{rest}"
        return mid

    def lookup_model(self, model_id: str | None) -> NamespaceInfo | None:
        """Publisher entry for a model id, handling legacy un-namespaced ids and renamed namespaces."""
        if not model_id:
            return None
        canon = self.canonical_model_id(model_id)
        if "/" not in canon:
            return None
        return self.lookup_namespace(canon.split("/", 1)[0])

    def org(self, org_key: str) -> Org:
        """The organisation with this key; InputError (NotFoundError) when unknown."""
        from modelcensus.errors import NotFoundError

        org = self.orgs_by_key.get(org_key) or self.orgs_by_key.get(org_key.lower())
        if org is None:
            raise NotFoundError(f"organisation {org_key!r} is not in the registry")
        return org

    def find_org(self, text: str) -> Org | None:
        """An org by key, display name, alias or namespace (case-insensitive, renames followed)."""
        t = text.strip().lower()
        if not t:
            return None
        for org in self.orgs_by_key.values():
            if t == org.key.lower() or t == org.name.lower() or t in (a.lower() for a in org.aliases):
                return org
        info = self.lookup_namespace(text)
        return self.orgs_by_key[info.org_key] if info else None

    def former_namespaces(self, org_key: str) -> list[str]:
        """Old namespaces that now redirect into this org's namespaces."""
        org = self.orgs_by_key.get(org_key)
        if org is None:
            return []
        own = {n.lower() for n in org.namespaces}
        return sorted(rn.old for rn in self.renames.values() if self.resolve_namespace(rn.old)[0].lower() in own)

    @property
    def orgs(self) -> list[Org]:
        return list(self.orgs_by_key.values())

    @property
    def families(self) -> list[Family]:
        return list(self.families_by_key.values())

    def family(self, key: str) -> Family | None:
        return self.families_by_key.get(key)

    def families_of_org(self, org_key: str) -> list[Family]:
        return [f for f in self.families_by_key.values() if f.root_org == org_key]

    def match_family(self, features: Mapping[str, Any]) -> FamilyMatches:
        """Candidate families for a model's features, best first (see :mod:`registry_match` for the rules).

        ``features`` may hold model_type, architectures, vocab_size, special_tokens, gguf_architecture,
        name (model id) and base_model_hint. ``result.best`` names the family only when the evidence is
        decisive and unique; ``result.ambiguous`` says candidates exist but none can be named.
        """
        assert self._index is not None
        return self._index.match(features)

    # ---------------------------------------------------------------- licences
    @property
    def licenses(self) -> list[License]:
        seen: dict[str, License] = {}
        for lic in self.licenses_by_id.values():
            seen.setdefault(lic.id, lic)
        return list(seen.values())

    def license_class(self, license_id: str | None) -> str:
        """permissive | copyleft | restricted | noncommercial | custom | unknown."""
        if not license_id or not isinstance(license_id, str):
            return "unknown"
        lid = license_id.strip().lower()
        lid = lid.removeprefix("license:")
        lic = self.licenses_by_id.get(lid)
        return lic.license_class if lic else "unknown"

    def permissiveness(self, license_id: str | None) -> int | None:
        """Rank in the permissiveness order (0 = most permissive); None when not comparable."""
        cls = self.license_class(license_id)
        return self.license_order.index(cls) if cls in self.license_order else None

    def more_permissive(self, child_license: str | None, root_license: str | None) -> bool:
        """Licence drift: is the child labelled strictly more permissively than its root?

        False when either side is unknown/custom (not comparable): drift is only claimed when known.
        """
        c, r = self.permissiveness(child_license), self.permissiveness(root_license)
        return c is not None and r is not None and c < r

    # ---------------------------------------------------------------- validation
    def check(self) -> list[RegistryProblem]:
        """Every semantic problem in the loaded files (empty list = valid)."""
        problems: list[RegistryProblem] = []

        def add(file: str, entry: str, kind: str, msg: str) -> None:
            problems.append(RegistryProblem(file, entry, kind, msg))

        for rf in self.files:
            seen_ns: dict[str, str] = {}
            for org in rf.orgs:
                e = f"org {org.key!r}"
                if org.country is not None and org.country.upper() not in self.countries:
                    add(rf.path, e, "unknown_country", f"country {org.country!r} is not an ISO 3166-1 alpha-2 code")
                elif org.country is not None and org.country != org.country.upper():
                    add(rf.path, e, "unknown_country", f"country {org.country!r} must be upper case")
                if org.org_type not in ORG_TYPES:
                    add(rf.path, e, "unknown_org_type", f"org_type {org.org_type!r} not in {', '.join(ORG_TYPES)}")
                if not org.evidence:
                    add(rf.path, e, "no_evidence", "no evidence given")
                if org.parent and org.parent not in self.orgs_by_key:
                    add(rf.path, e, "unknown_parent", f"parent {org.parent!r} is not an org key")
                for ns in org.namespaces:
                    if not _NAMESPACE_RE.match(ns):
                        add(rf.path, e, "bad_namespace", f"namespace {ns!r} is not a valid Hub namespace")
                    other = seen_ns.get(ns.lower())
                    if other and other != org.key:
                        add(rf.path, e, "duplicate_namespace", f"namespace {ns!r} also belongs to org {other!r}")
                    seen_ns[ns.lower()] = org.key
            for rn in rf.renames:
                e = f"rename {rn.old!r}"
                if not rn.evidence:
                    add(rf.path, e, "no_evidence", "no evidence given")
                end, _ = self.resolve_namespace(rn.old)
                if end.lower() in self.renames:
                    add(rf.path, e, "rename_cycle", f"renames starting at {rn.old!r} loop and never end")
                elif end.lower() not in self._ns:
                    add(rf.path, e, "dangling_rename", f"{rn.old!r} renames to {end!r}, which no org holds")
            for fam in rf.families:
                e = f"family {fam.key!r}"
                if fam.root_org not in self.orgs_by_key:
                    add(rf.path, e, "unknown_root_org", f"root_org {fam.root_org!r} is not an org key")
                if not fam.evidence:
                    add(rf.path, e, "no_evidence", "no evidence given")
                for pat in fam.name_patterns:
                    reason = unsafe_regex_reason(pat)
                    if reason:
                        add(rf.path, e, "invalid_regex", f"name pattern {pat!r}: {reason}")
                roots = {r.lower() for r in fam.root_models}
                for cfg in fam.signature.configs:
                    if cfg.root and cfg.root.lower() not in roots:
                        add(rf.path, e, "unknown_shape_root", f"shape root {cfg.root!r} is not in root_models")
                for lid in fam.licenses:
                    if lid not in self.licenses_by_id:
                        add(rf.path, e, "unknown_license", f"licence {lid!r} is not in the licence table")
            for lic in rf.licenses:
                e = f"license {lic.id!r}"
                if lic.license_class not in LICENSE_CLASSES:
                    add(rf.path, e, "unknown_license_class",
                        f"class {lic.license_class!r} not in {', '.join(LICENSE_CLASSES)}")
                if not lic.evidence:
                    add(rf.path, e, "no_evidence", "no evidence given")
            for name, codes in rf.regions.items():
                for code in codes:
                    if code not in self.countries:
                        add(rf.path, f"region {name!r}", "unknown_country", f"{code!r} is not an ISO 3166-1 code")
            for old, new in rf.model_aliases.items():
                if "/" not in new:
                    add(rf.path, f"model_alias {old!r}", "bad_alias", f"canonical id {new!r} has no namespace")
                elif self.lookup_namespace(new.split("/", 1)[0]) is None:
                    add(rf.path, f"model_alias {old!r}", "bad_alias", f"namespace of {new!r} is not an org's")
        for cls in self.license_order:
            if cls not in LICENSE_CLASSES:
                add("license_order", "license_order", "unknown_license_class", f"{cls!r} is not a licence class")
        return problems

    # ---------------------------------------------------------------- reports
    def stats(self) -> dict[str, int]:
        """Coverage counts: orgs, namespaces (incl. renamed ones), families, licences, countries used."""
        return {
            "orgs": len(self.orgs_by_key),
            "namespaces": len(self._ns),
            "renames": len(self.renames),
            "model_aliases": len(self.model_aliases),
            "families": len(self.families_by_key),
            "licenses": len(self.licenses),
            "countries": len({o.country for o in self.orgs_by_key.values() if o.country}),
        }

    def describe_org(self, text: str) -> dict[str, Any]:
        """Everything about one org (by key, name, alias or namespace); NotFoundError when unknown."""
        from modelcensus.errors import NotFoundError

        org = self.find_org(text)
        if org is None:
            raise NotFoundError(f"organisation {text!r} is not in the registry (try a namespace, key or name; "
                                "`modelcensus registry check` lists the files read)")
        return {
            "key": org.key, "name": org.name, "country": org.country,
            "country_name": self.countries.get(org.country) if org.country else None,
            "region": self.region_of(org.country), "atom_region": self.atom_region(org.country),
            "org_type": org.org_type, "namespaces": list(org.namespaces),
            "renamed_from": self.former_namespaces(org.key), "aliases": list(org.aliases), "parent": org.parent,
            "families": [f.key for f in self.families_of_org(org.key)], "evidence": list(org.evidence),
            "notes": org.notes, "file": org.source, "registry_version": self.version,
        }

    # ---------------------------------------------------------------- DuckDB
    def tables(self) -> dict[str, Any]:
        """The registry as pyarrow tables (what :meth:`register` puts on an engine)."""
        import pyarrow as pa

        ns_rows: dict[str, list[Any]] = {k: [] for k in ("namespace_lower", "namespace", "org_key", "org",
                                                         "country", "region", "org_type", "renamed_to")}

        def add_ns(spelling: str, key: str, renamed_to: str | None) -> None:
            org = self.orgs_by_key[key]
            for col, val in zip(ns_rows, (spelling.lower(), spelling, key, org.name, org.country,
                                          self.region_of(org.country), org.org_type, renamed_to), strict=True):
                ns_rows[col].append(val)

        for low, (spelling, key) in self._ns.items():
            if low not in self.renames:
                add_ns(spelling, key, None)
        for rn in self.renames.values():
            info = self.lookup_namespace(rn.old)
            if info is not None and info.renamed_from is not None:
                add_ns(rn.old, info.org_key, info.namespace)
        fam_rows: dict[str, list[str | None]] = {"family": [], "name": [], "root_org": [], "root_country": [],
                                                 "modality": []}
        root_rows: dict[str, list[Any]] = {"family": [], "model_id_lower": [], "model_id": []}
        sig_rows: dict[str, list[Any]] = {"family": [], "model_type": [], "architecture": [], "gguf_architecture": [],
                                          "vocab_size": [], "shape": [], "hidden_sizes": [], "root_model": []}
        tok_rows: dict[str, list[Any]] = {"family": [], "token": [], "exclusive": []}
        owners: dict[str, set[str]] = {}
        for fam in self.families_by_key.values():
            for t in fam.signature.special_tokens:
                owners.setdefault(t, set()).add(fam.key)
        for fam in self.families_by_key.values():
            org = self.orgs_by_key.get(fam.root_org)
            for col, val in zip(fam_rows, (fam.key, fam.name, fam.root_org, org.country if org else None,
                                           fam.modality), strict=True):
                fam_rows[col].append(val)
            for rid in fam.root_models:
                root_rows["family"].append(fam.key)
                root_rows["model_id_lower"].append(rid.lower())
                root_rows["model_id"].append(rid)
            sig = fam.signature
            for shape, cfg in enumerate(sig.configs):
                combos = ([(mt, None, None) for mt in cfg.model_types] + [(None, a, None) for a in cfg.architectures]
                          + [(None, None, g) for g in cfg.gguf_architectures])
                for mt, arch, gg in combos:
                    for v in cfg.vocab_sizes or (None,):
                        root = cfg.root or (fam.root_models[0] if fam.root_models else None)
                        for col, cell in zip(sig_rows, (fam.key, mt, arch, gg, v, shape, list(cfg.hidden_sizes),
                                                        root), strict=True):
                            sig_rows[col].append(cell)
            for t in sig.special_tokens:
                for col, tok_cell in zip(tok_rows, (fam.key, t, len(owners[t]) == 1), strict=True):
                    tok_rows[col].append(tok_cell)
        lic_rows: dict[str, list[Any]] = {"license": [], "class": [], "rank": []}
        for lid, lic in self.licenses_by_id.items():
            lic_rows["license"].append(lid)
            lic_rows["class"].append(lic.license_class)
            lic_rows["rank"].append(self.permissiveness(lid))
        alias_rows = {"model_id_lower": list(self.model_aliases),
                      "canonical_id": list(self.model_aliases.values())}
        s, i = pa.string(), pa.int64()
        return {
            "reg_namespaces": pa.table(ns_rows, schema=pa.schema([(c, s) for c in ns_rows])),
            "reg_families": pa.table(fam_rows, schema=pa.schema([(c, s) for c in fam_rows])),
            "reg_family_roots": pa.table(root_rows, schema=pa.schema([(c, s) for c in root_rows])),
            "reg_family_signatures": pa.table(sig_rows, schema=pa.schema(
                [("family", s), ("model_type", s), ("architecture", s), ("gguf_architecture", s),
                 ("vocab_size", i), ("shape", i), ("hidden_sizes", pa.list_(i)), ("root_model", s)])),
            "reg_family_tokens": pa.table(tok_rows, schema=pa.schema(
                [("family", s), ("token", s), ("exclusive", pa.bool_())])),
            "reg_licenses": pa.table(lic_rows, schema=pa.schema([("license", s), ("class", s), ("rank", i)])),
            "reg_model_aliases": pa.table(alias_rows, schema=pa.schema([(c, s) for c in alias_rows])),
        }

    def register(self, area: Any) -> None:
        """The registry tables on an engine or scratch area (``register_arrow``): the same on DuckDB and Spark."""
        for name, table in self.tables().items():
            area.register_arrow(name, table)


# -------------------------------------------------------------------- loading
def _package_text(name: str) -> str:
    return resources.files("modelcensus.lineage").joinpath("data", name).read_text(encoding="utf-8")


def _load_package_yaml(text: str, name: str) -> Any:
    """Package data is ours, so the fast libyaml SafeLoader is fine; user files go through load_yaml."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return load_yaml(text, what=f"package registry {name}", max_bytes=10_000_000)
    return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader (C) on package data


def _load_countries() -> dict[str, str]:
    text = _package_text(COUNTRIES_FILE)
    return {row["code"].strip().upper(): row["name"].strip() for row in csv.DictReader(io.StringIO(text))}


def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes of ``countries.csv`` (policies validate their countries against it)."""
    return frozenset(_load_countries())


def _read_user_file(path: Path) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"registry file {p}: not found or not a regular file")
    return read_bounded(p, what=f"registry file {p}", max_bytes=USER_FILE_MAX_BYTES)


def load_registry(extra_files: Iterable[str | Path] = ()) -> Registry:
    """Package registry plus user files in order (later entries win). InputError on a bad user file."""
    digest = hashlib.sha256()
    files: list[RegistryFile] = []
    versions: list[str] = []
    digest.update(_package_text(COUNTRIES_FILE).encode())
    for name in PACKAGE_FILES:
        text = _package_text(name)
        digest.update(text.encode())
        try:
            rf = parse_file(_load_package_yaml(text, name), name)
        except InputError:  # say where: parse again, slowly, with line numbers
            parse_file(load_yaml_doc(text, what=f"package registry {name}", max_bytes=10_000_000), name)
            raise
        files.append(rf)
        if rf.version:
            versions.append(rf.version)
    users = 0
    for path in extra_files:
        data = _read_user_file(Path(path))
        digest.update(b"\0user\0" + data)
        doc = load_yaml_doc(data, what=f"registry file {path}", max_bytes=USER_FILE_MAX_BYTES)
        files.append(parse_file(doc, str(path)))
        users += 1
    base = max(versions) if versions else "0"
    version = f"{base}+{digest.hexdigest()[:12]}" + (f".user{users}" if users else "")
    reg = Registry(files=files, countries=_load_countries(), version=version)
    reg._merge()
    return reg


def check_registry(extra_files: Iterable[str | Path] = ()) -> dict[str, Any]:
    """Load package + user files and validate them: the document `registry check` prints."""
    reg = load_registry(extra_files)
    problems = reg.check()
    return {"version": reg.version, "files": [f.path for f in reg.files], "stats": reg.stats(),
            "ok": not problems, "problems": [p.as_dict() for p in problems]}


def load_registry_cached(extra_files: Sequence[str | Path] = ()) -> Registry:
    """Like :func:`load_registry` but memoised per process for the package-only case."""
    global _CACHED
    if extra_files:
        return load_registry(extra_files)
    if _CACHED is None:
        _CACHED = load_registry(())
    return _CACHED


_CACHED: Registry | None = None
