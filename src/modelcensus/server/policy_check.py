"""The dashboard's policy check: an inventory of Hub ids against a shipped or uploaded policy.

Only Hub ids (with optional revisions) are accepted: a web visitor must never make the server
read its own files, so a line is matched against the Hub id pattern without touching the file
system. Inventories and policies are bounded (lines, bytes), parsed in memory and never stored.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from modelcensus import __version__, api
from modelcensus.audit.policy import parse_policy, shipped_policies
from modelcensus.audit.render import render_text
from modelcensus.audit.targets import HUB_ID, REVISION, Target, TargetError
from modelcensus.errors import InputError
from modelcensus.outputs.formatting import public_snapshot
from modelcensus.outputs.web.page import Page, Section
from modelcensus.outputs.web.tables import Table
from modelcensus.server.census import Census

MAX_ITEMS = 500
MAX_INVENTORY_BYTES = 100_000
MAX_POLICY_BYTES = 64_000


def shipped(name: str) -> Any:
    """A shipped policy by name (``none`` for a report without verdict)."""
    names = shipped_policies()
    if name != "none" and name not in names:
        raise InputError(f"policy {name[:60]!r}: expected one of {', '.join([*names, 'none'])}")
    return api.load_policy(name)


def render_json(report: Any) -> str:
    return render_text(report, "json")


def render_bom(report: Any) -> str:
    return render_text(report, "cyclonedx")


async def read_form(request: Request) -> dict[str, str]:
    """The posted form's text fields and uploads, decoded and bounded (the body is already capped)."""
    form = await request.form(max_files=2, max_fields=8)
    out: dict[str, str] = {}
    for key, limit in (("inventory", MAX_INVENTORY_BYTES), ("policy", 100), ("policy_text", MAX_POLICY_BYTES)):
        value = form.get(key)
        if isinstance(value, str) and value:
            if len(value.encode("utf-8")) > limit:
                raise InputError(f"{key}: over {limit} bytes")
            out[key] = value
    for key, target, limit in (("inventory_file", "inventory", MAX_INVENTORY_BYTES),
                               ("policy_file", "policy_text", MAX_POLICY_BYTES)):
        upload = form.get(key)
        if upload is None or isinstance(upload, str):
            continue
        data = await upload.read(limit + 1)
        if not data:
            continue
        if len(data) > limit:
            raise InputError(f"{key}: over {limit} bytes")
        try:
            out[target] = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError(f"{key}: not UTF-8 text") from None
    return out


def parse_inventory(text: str) -> list[Target | TargetError]:
    """One Hub id per line (``owner/name`` or ``owner/name@revision``; ``#`` comments, CSV first column)."""
    items: list[Target | TargetError] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "," in line:
            line = line.split(",", 1)[0].strip()
            if line.lower() in ("id", "model", "model_id"):
                continue
        if len(items) >= MAX_ITEMS:
            raise InputError(f"inventory: more than {MAX_ITEMS} entries")
        ref, _, rev = line.partition("@")
        where = f"line {n}"
        if not HUB_ID.match(ref) or "/" not in ref:
            items.append(TargetError(line[:120], where, "not a Hub model id (owner/name); only Hub ids are checked "
                                                        "here, never files"))
        elif rev and not REVISION.match(rev):
            items.append(TargetError(line[:120], where, f"revision {rev[:60]!r} is not a valid git revision"))
        else:
            items.append(Target(line, "hub", where, id=ref, revision=rev or None))
    if not items:
        raise InputError("inventory: no entries (one Hub id per line, e.g. Qwen/Qwen2.5-7B@main)")
    return items


def _policy(census: Census, form: dict[str, str]) -> Any:
    if form.get("policy_text"):
        return parse_policy(form["policy_text"], what="uploaded policy", source="uploaded")
    return shipped(form.get("policy") or "default")


def _report(census: Census, form: dict[str, str]) -> Any:
    items = parse_inventory(form.get("inventory", ""))
    targets = [t for t in items if isinstance(t, Target)]
    report = api.audit(targets, store=census.reader(), registry=census.registry, policy=_policy(census, form))
    report.errors[:0] = [t for t in items if isinstance(t, TargetError)]
    return report


def _form_fields(form: dict[str, str]) -> dict[str, Any]:
    return {"max_items": MAX_ITEMS, "max_kb": MAX_INVENTORY_BYTES // 1000, "inventory": form.get("inventory", ""),
            "policies": [*shipped_policies(), "none"], "policy": form.get("policy") or "default",
            "bom": False, "bom_action": "/policy/bom"}


def _page(census: Census, fields: dict[str, Any]) -> Page:
    page = Page("policy", "Policy check", "/policy", registry_version=census.registry.version, version=__version__,
                snapshot=public_snapshot(census.latest), synthetic=bool(census.latest.synthetic))
    page.form = fields
    return page


def form_page(census: Census, form: dict[str, str] | None = None) -> Page:
    return _page(census, _form_fields(form or {}))


def run(census: Census, form: dict[str, str]) -> Page:
    """The verdict table (one row per entry, errors included) under the chosen policy."""
    fields = _form_fields(form)
    report = _report(census, form)
    fields.update(bom=True, policy_text=form.get("policy_text", ""))
    page = _page(census, fields)
    rows = [{"model": d.id, "revision": d.revision, "verdict": d.verdict.status if d.verdict else "pass",
             "decided_by": d.verdict.decided_by if d.verdict else None,
             "flags": ", ".join(f.code for f in d.flags),
             "root_countries": ", ".join(sorted({str(r.get("country")) for r in (d.origin or {}).get("roots", [])}))}
            for d in report.dossiers]
    rows += [{"model": e.ref, "revision": None, "verdict": "error", "decided_by": e.source, "flags": e.message,
              "root_countries": None} for e in report.errors]
    counts = report.counts
    pol = report.policy.name if report.policy else "none (report only)"
    sec = Section("verdicts", "Verdicts",
                  f"Policy {pol}: {counts['pass']} pass, {counts['warn']} warn, {counts['fail']} fail, "
                  f"{counts['error']} could not be checked (an entry that cannot be checked fails the run).")
    sec.tables.append(Table("verdicts", "Verdicts", ["model", "revision", "verdict", "decided_by", "flags",
                                                     "root_countries"], rows, {"model": "model"}))
    page.sections.append(sec)
    page.synthetic = page.synthetic or report.synthetic
    return page


def bom(census: Census, form: dict[str, str]) -> str:
    """The inventory's CycloneDX ML-BOM."""
    return render_bom(_report(census, form))


__all__ = ["bom", "form_page", "parse_inventory", "read_form", "render_bom", "render_json", "run", "shipped"]
