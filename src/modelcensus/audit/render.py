"""Render an :class:`AuditReport` as a Rich table, Markdown, JSON or a CycloneDX BOM.

Everything shown comes from untrusted input (ids, file names, card text), so Markdown cells are
escaped and Rich markup is never interpreted.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from modelcensus.safe_output import terminal

if TYPE_CHECKING:
    from rich.console import Console

    from modelcensus.audit import AuditReport
    from modelcensus.audit.dossier import Dossier

FORMATS = ("table", "json", "md", "cyclonedx")
SYNTHETIC_BANNER = "SYNTHETIC DATA: computed from a generated hub, not a finding about the real one."
REPORT_ONLY_BANNER = "REPORT ONLY (--policy none): no policy applied, no verdict; exit 0 whatever the flags."
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")


def _md(value: Any) -> str:
    text = "" if value is None else str(value)
    text = terminal(text.replace("\r", " ").replace("\n", " "))  # escape sequences shown, never obeyed
    return _MD_SPECIAL.sub(r"\\\1", text)[:500]


def _roots(d: Dossier) -> str:
    parts = []
    for r in (d.origin or {}).get("roots") or []:
        w = r.get("weight")
        share = f" {w:.0%}" if isinstance(w, float) and w < 0.999 else ""
        parts.append(f"{r.get('id')} ({r.get('country') or '?'}){share}")
    return "; ".join(parts) or "-"


def _publisher(d: Dossier) -> str:
    pub = (d.origin or {}).get("publisher") or {}
    if not (pub.get("org") or pub.get("namespace")):
        return "-"
    return f"{pub.get('org') or pub.get('namespace')} ({pub.get('country') or '?'})"


def _licence(d: Dossier) -> str:
    lic = d.licence
    if not lic:
        return "-"
    drift = " DRIFT" if lic.drift else ""
    return f"{lic.license or 'none'} ({lic.license_class}){drift}"


def to_json(report: AuditReport) -> dict[str, Any]:
    return report.as_dict()


def to_table(report: AuditReport, console: Console) -> None:
    """A Rich table of the verdicts, then the unreadable targets."""
    from rich.text import Text as RichText

    from modelcensus.terminal_tables import Col, print_table

    def Text(value: Any, style: str = "") -> RichText:  # noqa: N802 - every cell is untrusted: escape it
        return RichText(terminal(value), style=style)

    if report.synthetic:
        console.print(Text(SYNTHETIC_BANNER, style="bold yellow"))
    if report.report_only:
        console.print(Text(REPORT_ONLY_BANNER, style="bold yellow"))
    title = f"Audit ({terminal(report.policy.name)})" if report.policy else "Audit (report only: no verdict)"
    # at 80 columns the least needed columns are left out and named (terminal_tables), never folded mid-word
    cols = [Col("Model", wrap=True), Col("Verdict", wrap=True), Col("Root(s)", wrap=True, priority=1),
            Col("Publisher", wrap=True, priority=3), Col("Licence", wrap=True, priority=2),
            Col("Grade", priority=4), Col("Flags", wrap=True)]
    styles = {"pass": "green", "warn": "yellow", "fail": "bold red"}
    rows = []
    for d in report.dossiers:
        v = d.verdict
        verdict = Text(v.status if v else "not judged", style=styles.get(v.status if v else "", ""))
        if v and v.decided_by:
            verdict.append(f" ({terminal(v.decided_by)})")
        rows.append([d.label, verdict, _roots(d), _publisher(d), _licence(d),
                     str((d.origin or {}).get("grade") or "-"), ", ".join(sorted({f.code for f in d.flags})) or "-"])
    print_table(console, cols, rows, title=title, more="--format json or md")
    if report.errors:
        print_table(console, [Col("Target", wrap=True), Col("Where"), Col("Error", wrap=True)],
                    [[e.ref, e.source, e.message] for e in report.errors], title="Targets that could not be read")
    console.print(Text(_summary(report)))


def _summary(report: AuditReport) -> str:
    c = report.counts
    if report.report_only:
        return (f"{c.get('not_judged', 0)} audited, not judged (report only), {c['error']} error "
                f"(exit {report.exit_code})")
    return f"{c['pass']} pass, {c['warn']} warn, {c['fail']} fail, {c['error']} error (exit {report.exit_code})"


def _dossier_md(d: Dossier) -> list[str]:
    out = [f"## {_md(d.label)}", ""]
    v = d.verdict
    if v:
        by = f" (decided by {_md(v.decided_by)})" if v.decided_by else ""
        out.append(f"**Verdict: {v.status.upper()}**{by}")
        out += [f"- {_md(f.action)}: {_md(f.rule)}: {_md(f.message)}" for f in v.findings]
        out.append("")
    out += [f"- Target: {_md(d.target.kind)} from {_md(d.target.source)}; source of facts: {_md(d.source)}",
            f"- Revision: {_md(d.revision or 'not pinned')}",
            f"- Formats: {_md(', '.join(d.formats) or 'none found')} ({len(d.files)} files"
            + ("" if d.files_known else ", file list unknown") + ")",
            f"- Publisher: {_md(_publisher(d))}",
            f"- Origin grade: {_md((d.origin or {}).get('grade'))}; depth {_md((d.origin or {}).get('depth'))}", ""]
    roots = (d.origin or {}).get("roots") or []
    if roots:
        out += ["| Root | Org | Country | Weight | Path |", "|---|---|---|---|---|"]
        for r in roots:
            out.append(f"| {_md(r.get('id'))} | {_md(r.get('org'))} | {_md(r.get('country') or 'unknown')} | "
                       f"{_md(r.get('weight'))} | {_md(' <- '.join(r.get('path') or []))} |")
        out.append("")
    teacher = (d.origin or {}).get("teacher")
    if teacher:
        out += [f"- Distillation teacher: {_md(teacher.get('id'))} ({_md(teacher.get('country') or 'unknown')})", ""]
    if d.lineage:
        out += ["| Child | Parent | Relation | Grade | Evidence |", "|---|---|---|---|---|"]
        out += [f"| {_md(s['child'])} | {_md(s['parent'])} | {_md(s['relation'])} | {_md(s['grade'])} | "
                f"{_md(s.get('evidence'))} |" for s in d.lineage]
        out.append("")
    if d.licence:
        lic = d.licence
        out.append(f"- Licence: {_md(lic.license or 'none')} ({_md(lic.license_class)})")
        out += [f"  - upstream {_md(c['id'])}: {_md(c['license'] or 'unknown')} ({_md(c['class'])})" for c in lic.chain]
        out += [f"  - **drift**: {_md(x['license'])} over root {_md(x['root'])} ({_md(x['root_license'])})"
                for x in lic.drift]
    det = d.detection
    if det and (det.family or det.candidates):
        out.append(f"- Detected family: {_md(det.family or ('ambiguous' if det.ambiguous else 'none'))}"
                   f" (grade {_md(det.grade)}, root country {_md(det.root_country or 'unknown')}); "
                   f"signals: {_md(', '.join(det.signals[:8]))}")
    if d.flags:
        out += ["", "| Flag | Severity | Detail |", "|---|---|---|"]
        out += [f"| {_md(f.code)} | {_md(f.severity)} | {_md(f.message)}"
                + (f" ({_md(f.evidence)})" if f.evidence else "") + " |" for f in d.flags]
    out.append("")
    return out


def to_markdown(report: AuditReport) -> str:
    lines = ["# modelcensus audit", ""]
    if report.synthetic:
        lines += [f"> **{SYNTHETIC_BANNER}**", ""]
    if report.report_only:
        lines += [f"> **{REPORT_ONLY_BANNER}**", ""]
    lines += [f"Policy: {_md(report.policy.name) if report.policy else 'none'}; registry {_md(report.registry_version)}"
              + (f"; snapshot {_md(report.snapshot.get('id'))} observed {_md(report.snapshot.get('observed_at'))}"
                 if report.snapshot else ""), "",
              f"**{_md(_summary(report))}**", ""]
    for d in report.dossiers:
        lines += _dossier_md(d)
    if report.errors:
        lines += ["## Targets that could not be read", "", "| Target | Where | Error |", "|---|---|---|"]
        lines += [f"| {_md(e.ref)} | {_md(e.source)} | {_md(e.message)} |" for e in report.errors]
        lines.append("")
    return "\n".join(lines)


def render_text(report: AuditReport, fmt: str) -> str:
    """JSON, Markdown or CycloneDX text (the table form prints to a console instead)."""
    if fmt == "json":
        return json.dumps(to_json(report), indent=2, default=str, ensure_ascii=False)
    if fmt == "md":
        return to_markdown(report)
    if fmt == "cyclonedx":
        from modelcensus.audit.bom import bom_json

        return bom_json(report)
    raise ValueError(fmt)
