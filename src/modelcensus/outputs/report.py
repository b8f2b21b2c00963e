"""The census report: which metrics, over which snapshots, with which caveats — and its three forms.

:func:`build_report` picks the snapshots (:mod:`selection`), makes sure each has lineage, finds the
series comparable with the latest snapshot (only between those is a change ever stated), asks
:func:`modelcensus.metrics.compute_metric` for every table a chart needs (:mod:`sections_downloads`,
:mod:`sections_lineage`), turns the tables into charts with source lines and headline items that name
their snapshots, collects the warnings a reader must see first, and renders (:mod:`render`) one of:

- ``html``: one self-contained page (plotly.js, CSS inline; no network) with interactive charts;
- ``md``: Markdown plus PNG charts in a ``<name>_files/`` folder beside it;
- ``json``: every metric table behind every chart, plus the metadata (``"synthetic": true`` when
  any snapshot used is synthetic, ``"warnings"`` always).

No output holds a local path: snapshot references and notes name files by their file name only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelcensus.errors import InputError
from modelcensus.outputs.builder import FIELD, ReportBuilder
from modelcensus.outputs.formatting import md_escape, public_snapshot, public_text, scrub_tree
from modelcensus.outputs.model import Report
from modelcensus.outputs.render import REPORT_FORMATS, render_html, render_markdown, write_report
from modelcensus.outputs.sections_downloads import concentration_section, countries_section, movers_section
from modelcensus.outputs.sections_lineage import derivatives_section, licences_section, ram_section
from modelcensus.outputs.selection import (
    census_points,
    ensure_lineage,
    select_snapshots,
    snapshot_points,
    trend_series,
)
from modelcensus.store import Store

__all__ = ["REPORT_FORMATS", "Report", "build_report", "build_report_model", "md_escape", "render_html",
           "render_markdown", "write_report"]

TITLE = "modelcensus: who builds the open models the world downloads"


def build_report_model(store: Store, *, registry: Any, snapshots: Any = None, population: str = "all",
                       filters: dict[str, Any] | None = None) -> Report:
    """Compute everything the report shows (no rendering).

    ``filters``: ``pipeline_tags`` and ``libraries`` (lists) are passed to every metric call; ``as_of`` (a date)
    and ``max_age`` (days) make the latest figures a census as of that date (docs/census.md), compared only with
    an earlier census of the same kind.
    """
    if registry is None:
        from modelcensus.lineage.registry import load_registry

        registry = load_registry()
    filters = {k: v for k, v in (filters or {}).items() if v not in (None, [], ())}
    as_of, max_age = filters.pop("as_of", None), filters.pop("max_age", None)
    snaps, excluded = select_snapshots(store, snapshots, as_of)
    trend = trend_series(snaps)
    points = census_points(store, snaps, as_of, max_age) if as_of is not None else snapshot_points(trend)
    needed = {s.id: s for s in [*snaps, *points.latest, *(points.base or [])]}
    notes = ensure_lineage(store, list(needed.values()), registry)
    b = ReportBuilder(store, registry, snaps, trend, population, filters, points)
    from modelcensus.metrics.scope import shared_work

    # the metrics share one download panel and one models x origins credit base per snapshot set
    with shared_work(store):
        sections = [countries_section(b), derivatives_section(b), ram_section(b), concentration_section(b),
                    licences_section(b), movers_section(b)]
    for s in sections:
        s.notes, s.notices = public_text(s.notes), public_text(s.notices)
    metrics = {k: {f: (v if f == "rows" else public_text(v)) for f, v in m.items()} for k, m in b.metrics.items()}
    return Report(
        title=TITLE, synthetic=any(s.synthetic for s in snaps),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        population=population, field=FIELD, registry_version=str(getattr(registry, "version", "unknown")),
        snapshots=[public_snapshot(s) for s in snaps], excluded_snapshots=scrub_tree(excluded),
        headline=b.headline, sections=sections, grades=b.grades(), metrics=metrics,
        warnings=public_text(b.warnings()), notes=public_text(notes + b.notes),
        filters={**b.filters, **({"as_of": str(as_of), "max_age": points.latest_kw.get("max_age")} if as_of else {})})


def build_report(store: Store, *, out: str | Path | None = None, fmt: str = "html", registry: Any = None,
                 snapshots: Any = None, population: str = "all",
                 filters: dict[str, Any] | None = None) -> Path | dict[str, Any]:
    """Build the census report. Returns the written path, or the JSON document when ``fmt='json'`` and no ``out``."""
    fmt = (fmt or "html").lower()
    if fmt not in REPORT_FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(REPORT_FORMATS)}")
    report = build_report_model(store, registry=registry, snapshots=snapshots, population=population,
                                filters=filters)
    if fmt == "json" and out is None:
        return report.to_json()
    return write_report(report, Path(out) if out is not None else Path(f"modelcensus-report.{fmt}"), fmt)
