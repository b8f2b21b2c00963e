"""Page builders: library results (metric results, origin and lineage documents, audit dossiers) in,
:class:`~modelcensus.outputs.web.page.Page` sections out.

Pure functions of their inputs: the server and the static-site writer fetch the data through
``modelcensus.api`` and hand it here, so what a page shows is testable without a server.
"""

from __future__ import annotations

from typing import Any

from modelcensus.outputs.charts import ChartData, Series, share_bar_values
from modelcensus.outputs.web.page import Chart, Section
from modelcensus.outputs.web.tables import Table

TOP_GROUPS = 8


def pct_text(share: Any) -> str:
    return "–" if share is None else f"{float(share) * 100:.1f} %"


def _doc(res: Any) -> dict[str, Any]:
    return res.to_json() if hasattr(res, "to_json") else dict(res)


def source_line(res: Any) -> str:
    """Where a chart's figures come from: snapshots (id, source, date, scope), population and coverage."""
    doc = _doc(res)
    snaps = doc.get("snapshots") or []
    parts = []
    if snaps:
        dates = sorted(str(s.get("observed_at") or "")[:10] for s in snaps)
        sources = sorted({str(s.get("source")) for s in snaps})
        scopes = sorted({str(s.get("scope")) for s in snaps if s.get("scope")})
        ids = [str(s.get("id")) for s in snaps]
        span = dates[0] if dates[0] == dates[-1] else f"{dates[0]} to {dates[-1]}"
        shown = ", ".join(ids[:6]) + (f" … ({len(ids)} in all)" if len(ids) > 6 else "")
        parts.append(f"Source: snapshot{'s' if len(ids) > 1 else ''} {shown} ({', '.join(sources)}; {span}"
                     + (f"; scope {', '.join(scopes)}" if scopes else "") + ")")
    parts.append(f"population {doc.get('population', 'all')}")
    if doc.get("field"):
        parts.append(f"field {doc['field']}")
    cov = doc.get("coverage") or {}
    if cov.get("models") is not None:
        parts.append(f"{int(cov['models']):,} models counted")
    if doc.get("synthetic"):
        parts.append("SYNTHETIC DATA")
    return " · ".join(parts) + "."


def coverage_facts(res: Any) -> dict[str, Any]:
    """The metric's coverage object as a few short facts shown beside its chart (the JSON has it all)."""
    cov = _doc(res).get("coverage") or {}
    out: dict[str, Any] = {}
    if cov.get("models") is not None:
        out["models counted"] = f"{int(cov['models']):,}"
    pop = cov.get("population") or {}
    if isinstance(pop, dict) and pop.get("text"):
        out["population"] = pop["text"]
    if cov.get("scopes"):
        out["scopes"] = ", ".join(f"{k} ×{v}" for k, v in dict(cov["scopes"]).items())
    if "full_backbone" in cov:
        out["full backbone"] = "yes" if cov["full_backbone"] else "no"
    obs = cov.get("observed") or {}
    if isinstance(obs, dict) and obs.get("oldest"):
        oldest, newest = str(obs["oldest"])[:10], str(obs.get("newest") or "")[:10]
        out["observed"] = oldest if oldest == newest else f"{oldest} to {newest}"
    if cov.get("as_of"):
        out["as of"] = str(cov["as_of"])[:10]
    filters = {k: v for k, v in dict(cov.get("filters") or {}).items() if v}
    if filters:
        out["filters"] = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in filters.items())
    return out


def warnings_of(res: Any) -> list[str]:
    return [str(w.get("message", w)) if isinstance(w, dict) else str(w) for w in (_doc(res).get("warnings") or [])]


def share_bars(key: str, title: str, res: Any, col: str, label: Any = str) -> Chart:
    """One census's shares as bars: the largest groups, 'other' and 'unknown'."""
    x, y = share_bar_values(res.rows, col, label, TOP_GROUPS)
    data = ChartData(key, title, "bars", col.replace("_", " "), "share", [Series("share", x, y)], percent=True)
    return Chart(data, source_line(res), "" if y else "no model in this census could be counted")


def share_lines(key: str, title: str, res: Any, col: str, label: Any = str, x_col: str = "month") -> Chart:
    """Shares over time, one line per group (the largest groups; the rest summed as 'other').

    Fewer than two points in time cannot make a trend: the chart becomes a notice."""
    points = sorted({str(r.get(x_col))[:10] for r in res.rows if r.get(x_col) is not None})
    trend = _doc(res).get("trend")
    reason = trend.get("reason") if isinstance(trend, dict) and not trend.get("comparable", True) else None
    if len(points) < 2 or reason:
        why = reason or (f"only {len(points)} point{'s' if len(points) != 1 else ''} in time, so there is no "
                         "trend to draw")
        return Chart(ChartData(key, title, "lines", x_col, "share"), source_line(res), why)
    total: dict[Any, float] = {}
    for r in res.rows:
        g = r.get(col)
        total[g] = total.get(g, 0.0) + float(r.get("share") or 0)
    top = [g for g in sorted(total, key=lambda g: (-total[g], str(g))) if g is not None][:TOP_GROUPS]
    idx = {p: i for i, p in enumerate(points)}
    values: dict[Any, list[float]] = {}
    for r in res.rows:
        g = r.get(col)
        name = "unknown" if g is None else label(g) if g in top else "other"
        values.setdefault(name, [0.0] * len(points))[idx[str(r.get(x_col))[:10]]] += float(r.get("share") or 0)
    order = [label(g) for g in top] + [n for n in ("other", "unknown") if n in values]
    series = [Series(n, points, values[n]) for n in order if n in values and any(values[n])]
    data = ChartData(key, title, "lines", x_col, "share", series, percent=True)
    return Chart(data, source_line(res))


def metric_table(key: str, title: str, res: Any, col: str, fmt: str | None = None, limit: int = 50) -> Table:
    """A metric's rows as a table (group, value columns), largest first, with its source line as note."""
    cols = [c for c in res.columns if c in ("month", "observed_at", col, "downloads", "derivatives", "models",
                                            "share")]
    formats = {"share": "pct", "downloads": "int", "derivatives": "int", "models": "float"}
    if fmt:
        formats[col] = fmt
    rows = res.rows[:limit]
    note = source_line(res) + (f" The other {len(res.rows) - limit:,} rows are in the download."
                               if len(res.rows) > limit else "")
    return Table(key, title, cols, rows, formats, note, all_rows=res.rows)


def metric_section(key: str, title: str, text: str, results: list[Any], charts: list[Chart],
                   tables: list[Table]) -> Section:
    """A section whose coverage, warnings and notes come from the metric results it shows."""
    warnings: list[str] = []
    notes: list[str] = []
    for r in results:
        warnings += [w for w in warnings_of(r) if w not in warnings]
        notes += [n for n in getattr(r, "notes", []) if n not in notes]
    return Section(key, title, text, charts=charts, tables=tables,
                   coverage=coverage_facts(results[0]) if results else {}, warnings=warnings, notes=notes[:8])


def origin_facts(doc: dict[str, Any], links: Any) -> list[tuple[str, Any]]:
    """Publisher, roots, teacher, grade and problems of an origin document, as labelled facts."""
    pub = doc.get("publisher") or {}
    facts: list[tuple[str, Any]] = [
        ("publisher", f"{pub.get('org') or pub.get('namespace') or 'unknown'} "
                      f"({pub.get('country') or 'country unknown'})"),
        ("grade", doc.get("grade")), ("depth", doc.get("depth")),
    ]
    teacher = doc.get("teacher")
    if teacher:
        facts.append(("teacher", {"text": f"{teacher.get('id')} — {teacher.get('org') or 'unknown org'} "
                                          f"({teacher.get('country') or 'country unknown'}), "
                                          f"evidence: {teacher.get('evidence')}",
                                  "href": links.model(teacher["id"]) if teacher.get("id") else None}))
    if doc.get("observed") is False or doc.get("referenced_only"):
        facts.append(("observed", "referenced as a parent, not observed in this snapshot"))
    facts.append(("problems", ", ".join(doc.get("problems") or []) or "none"))
    return facts


def roots_table(doc: dict[str, Any]) -> Table:
    rows = [{"root": r.get("id"), "organisation": r.get("org"), "country": r.get("country"), "weight": r.get("weight"),
             "path": " → ".join(r.get("path") or []), "relations": ", ".join(r.get("relations") or [])}
            for r in doc.get("roots") or []]
    return Table("roots", "Roots", ["root", "organisation", "country", "weight", "relations", "path"], rows,
                 {"root": "model", "weight": "pct"})


def ancestor_tree(model: str, edges: list[dict[str, Any]], links: Any) -> list[dict[str, Any]]:
    """The ancestors as a tree rooted at the model (each edge once; a repeated node is not expanded again)."""
    by_child: dict[str, list[dict[str, Any]]] = {}
    for e in edges:
        by_child.setdefault(e["child"], []).append(e)

    def grow(node: str, seen: frozenset[str]) -> list[dict[str, Any]]:
        out = []
        for e in by_child.get(node, []):
            parent = e["parent"]
            note = "" if e.get("parent_in_snapshot", True) else "referenced, not observed"
            if not e.get("structural", True):
                note = (note + "; " if note else "") + "not followed to the root"
            out.append({"id": parent, "href": links.model(parent), "relation": e.get("relation"),
                        "grade": e.get("grade"), "evidence": e.get("evidence"), "note": note,
                        "children": [] if parent in seen else grow(parent, seen | {parent})})
        return out

    return [{"id": model, "href": None, "relation": None, "grade": None, "evidence": None, "note": "this model",
             "children": grow(model, frozenset({model}))}]


def descendants_table(desc: dict[str, Any], offset: int) -> Table:
    rows = desc.get("shown") or []
    return Table("descendants", "Descendants", ["id", "relation", "depth", "parent", "grade", "downloads_30d"],
                 rows[offset:], {"id": "model", "parent": "model", "downloads_30d": "int"},
                 note=f"{int(desc.get('total') or 0):,} descendants in all; by relation: "
                      + ", ".join(f"{k} {v:,}" for k, v in (desc.get("by_relation") or {}).items()))


def licence_section(dossier: dict[str, Any] | None) -> Section:
    lic = (dossier or {}).get("licence") or {}
    chain = [{"model": c.get("id"), "licence": c.get("license"), "class": c.get("class"), "relation": c.get("relation")}
             for c in lic.get("chain") or []]
    drift = [{"from": d.get("from") or d.get("parent"), "to": d.get("to") or d.get("child"),
              "change": d.get("change") or d.get("message") or str(d)} for d in lic.get("drift") or []]
    sec = Section("licences", "Licence chain and drift",
                  f"This model: {lic.get('license') or 'not declared'} ({lic.get('class') or 'unknown class'}).")
    sec.tables.append(Table("licence_chain", "Licence chain", ["model", "licence", "class", "relation"], chain,
                            {"model": "model"}))
    if drift:
        sec.tables.append(Table("licence_drift", "Licence drift", ["from", "to", "change"], drift))
    else:
        sec.notes.append("No licence drift along the chain.")
    return sec


def audit_section(dossier: dict[str, Any] | None, bom_href: str | None) -> Section:
    d = dossier or {}
    verdict = d.get("verdict") or {}
    flags = [{"code": f.get("code"), "severity": f.get("severity"), "message": f.get("message"),
              "evidence": f.get("evidence")} for f in d.get("flags") or []]
    sec = Section("audit", "Audit flags and dossier",
                  f"Verdict under policy '{d.get('policy', 'default')}': {verdict.get('status', 'not audited')}"
                  + (f" (decided by {verdict['decided_by']})" if verdict.get("decided_by") else "") + ".")
    sec.tables.append(Table("flags", "Flags", ["code", "severity", "message", "evidence"], flags))
    sec.notes += [str(n) for n in d.get("notes") or []]
    if bom_href:
        sec.facts.append(("CycloneDX ML-BOM", {"text": "download the BOM (JSON)", "href": bom_href}))
    return sec
