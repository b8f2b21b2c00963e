"""CycloneDX 1.6 ML-BOM of an audit: one ``machine-learning-model`` component per audited model,
its lineage as ``pedigree.ancestors``, its licence, and origins, flags and verdict as properties.

cyclonedx-python-lib has no model-card support yet, so what a model card would carry is written
as ``modelcensus:*`` properties (documented in docs/audit.md). Each local file the audit read is a
nested ``file`` component carrying its SHA-256 (``audit.filehash``), so the BOM pins the bytes audited;
a file past the hash budget has no hash and says why in ``modelcensus:hash:skipped``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modelcensus import __version__

if TYPE_CHECKING:
    from modelcensus.audit import AuditReport
    from modelcensus.audit.dossier import Dossier

P = "modelcensus"


def _props(pairs: list[tuple[str, Any]]) -> list[Any]:
    from cyclonedx.model import Property

    out = []
    for name, value in pairs:
        if value is None or value == "" or value == []:
            continue
        text = value if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
        out.append(Property(name=f"{P}:{name}", value=text[:2000]))
    return out


def _licences(lic: str | None) -> list[Any]:
    from cyclonedx.contrib.license.factories import LicenseFactory

    if not lic:
        return []
    try:
        return [LicenseFactory().make_from_string(lic)]
    except Exception:  # not SPDX and not an expression: a named licence
        from cyclonedx.model.license import DisjunctiveLicense

        return [DisjunctiveLicense(name=lic)]


def _purl(model_id: str | None, revision: str | None) -> Any:
    from packageurl import PackageURL

    if not model_id or "/" not in model_id:
        return None
    ns, name = model_id.split("/", 1)
    return PackageURL(type="huggingface", namespace=ns, name=name, version=revision)


def _component(d: Dossier, index: int) -> Any:
    from cyclonedx.model.component import Component, ComponentType, Pedigree

    origin = d.origin or {}
    pub = origin.get("publisher") or {}
    lic = d.licence
    props: list[tuple[str, Any]] = [
        ("target:kind", d.target.kind), ("source", d.source), ("synthetic", d.synthetic),
        ("origin:publisher:org", pub.get("org")), ("origin:publisher:country", pub.get("country")),
        ("origin:publisher:org_type", pub.get("org_type")), ("origin:grade", origin.get("grade")),
        ("origin:depth", origin.get("depth")),
        ("formats", ",".join(d.formats)),
    ]
    for r in origin.get("roots") or []:
        props += [("origin:root", r.get("id")), ("origin:root:country", r.get("country") or "unknown"),
                  ("origin:root:org", r.get("org")), ("origin:root:weight", r.get("weight"))]
    teacher = origin.get("teacher") or {}
    props += [("origin:teacher", teacher.get("id")), ("origin:teacher:country", teacher.get("country"))]
    props += [(f"problem:{p.split(':', 1)[0]}", p) for p in origin.get("problems") or []]
    if lic:
        props += [("licence:class", lic.license_class)]
        props += [("licence:chain", f"{c['id']}={c['license'] or 'unknown'}") for c in lic.chain]
        props += [("licence:drift", f"{x['license']} over root {x['root']} ({x['root_license']})") for x in lic.drift]
    if d.detection and (d.detection.family or d.detection.root_country):
        props += [("detection:family", d.detection.family), ("detection:grade", d.detection.grade),
                  ("detection:root_country", d.detection.root_country)]
    props += [(f"flag:{f.code}", f"{f.severity}: {f.message}") for f in d.flags]
    if d.verdict:
        props += [("verdict", d.verdict.status), ("verdict:decided_by", d.verdict.decided_by)]
    ancestors: list[Component] = []
    seen: set[str] = set()
    for step in d.lineage:
        parent = step["parent"]
        if parent.lower() in seen:
            continue
        seen.add(parent.lower())
        ancestors.append(Component(
            type=ComponentType.MACHINE_LEARNING_MODEL, name=parent, bom_ref=f"model-{index}-ancestor-{len(ancestors)}",
            purl=_purl(parent, None),
            properties=_props([("relation", step.get("relation")), ("grade", step.get("grade")),
                               ("depth", step.get("depth")), ("root", step.get("root")),
                               ("child", step.get("child")), ("inferred", step.get("inferred"))])))
    name = d.id or d.label
    return Component(
        type=ComponentType.MACHINE_LEARNING_MODEL, name=name, bom_ref=f"model-{index}",
        version=d.revision, purl=_purl(d.id, d.revision), publisher=pub.get("org") or pub.get("namespace"),
        licenses=_licences(lic.license if lic else None), properties=_props(props),
        pedigree=Pedigree(ancestors=ancestors) if ancestors else None, components=_files(d, index))


def _files(d: Dossier, index: int) -> list[Any]:
    """One ``file`` component per local file that was read, with its SHA-256 when it was hashed whole."""
    from cyclonedx.model import HashAlgorithm, HashType
    from cyclonedx.model.component import Component, ComponentType

    out = []
    for j, f in enumerate(x for x in d.files if "sha256" in x):
        out.append(Component(
            type=ComponentType.FILE, name=f["name"], bom_ref=f"model-{index}-file-{j}",
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=f["sha256"])] if f["sha256"] else None,
            properties=_props([("size", f.get("size")), ("format", f.get("format")),
                               ("hash:skipped", f.get("hash_note"))])))
    return out


def build_bom(report: AuditReport) -> Any:
    """The :class:`cyclonedx.model.bom.Bom` of an audit report."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType

    bom = Bom()
    bom.metadata.tools.components.add(Component(type=ComponentType.APPLICATION, name="modelcensus",
                                                version=__version__))
    meta = [("registry_version", report.registry_version), ("synthetic", report.synthetic),
            ("policy", report.policy.name if report.policy else "none (report only: no verdict)")]
    if report.snapshot:
        meta += [("snapshot:id", report.snapshot.get("id")),
                 ("snapshot:observed_at", report.snapshot.get("observed_at"))]
    meta += [(f"count:{k}", v) for k, v in report.counts.items()]
    meta += [("error", f"{e.ref}: {e.message}") for e in report.errors]
    for p in _props(meta):
        bom.metadata.properties.add(p)
    for i, d in enumerate(report.dossiers):
        bom.components.add(_component(d, i))
    return bom


def bom_json(report: AuditReport) -> str:
    """The BOM as CycloneDX 1.6 JSON text."""
    from cyclonedx.output.json import JsonV1Dot6

    return JsonV1Dot6(build_bom(report)).output_as_string(indent=2)
