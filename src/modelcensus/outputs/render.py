"""Rendering a computed report: the HTML page, the Markdown file with PNG charts, the JSON document.

All text that comes from the data (model ids, organisation names, licence strings) is untrusted:
Jinja2 autoescapes it in HTML, :func:`md_escape` escapes it in Markdown, and charts escape labels.
Every file is written atomically (temporary file, then rename), so a failed build never leaves half a
report.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from modelcensus.errors import InputError
from modelcensus.outputs.charts import chart_html, plotly_js
from modelcensus.outputs.formatting import fmt_cell, md_escape
from modelcensus.outputs.model import Report

REPORT_FORMATS = ("html", "md", "json")


def _env(autoescape: bool) -> Environment:
    env = Environment(loader=PackageLoader("modelcensus.outputs", "templates"),
                      autoescape=select_autoescape(["html.j2"]) if autoescape else False,
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False,
                      keep_trailing_newline=True)
    env.filters["md"] = md_escape
    env.filters["cell"] = (lambda v, f=None: fmt_cell(v, f)) if autoescape else (lambda v, f=None:
                                                                                  md_escape(fmt_cell(v, f)))
    return env


def _method_titles(report: Report) -> dict[str, str]:
    return {m.key: m.title for m in report.methods}


def render_html(report: Report) -> str:
    """The self-contained HTML page (plotly.js inline once; no external resource)."""
    divs = {c.key: chart_html(c) for s in report.sections for c in s.charts}
    return _env(True).get_template("report.html.j2").render(r=report, chart_divs=divs, plotly_js=plotly_js(),
                                                            method_titles=_method_titles(report))


def render_markdown(report: Report, out: Path) -> str:
    """Markdown text; the PNG charts go to ``<stem>_files/`` beside ``out`` and are linked relatively."""
    from modelcensus.outputs.static_charts import render_png

    folder = out.parent / f"{out.stem}_files"
    images = {}
    for s in report.sections:
        for c in s.charts:
            render_png(c, folder / f"{c.key}.png")
            images[c.key] = quote(f"{folder.name}/{c.key}.png")
    return _env(False).get_template("report.md.j2").render(r=report, images=images,
                                                           method_titles=_method_titles(report))


def write_report(report: Report, path: Path, fmt: str) -> Path:
    """Render an already computed report in one format (so several formats cost one computation)."""
    if fmt == "json":
        _write(path, json.dumps(report.to_json(), indent=2, ensure_ascii=False, default=str) + "\n")
    elif fmt == "html":
        _write(path, render_html(report))
    elif fmt == "md":
        try:  # the Markdown's chart images go to a folder beside it
            text = render_markdown(report, path)
        except OSError as exc:
            raise InputError(f"--out {path}: cannot write its chart images ({exc.strerror or exc})") from None
        _write(path, text)
    else:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(REPORT_FORMATS)}")
    return path


def _write(path: Path, text: str) -> None:
    """Write atomically (temp file + rename) so a failed build never leaves half a report."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise InputError(f"--out {path}: cannot write ({exc.strerror or exc})") from None
