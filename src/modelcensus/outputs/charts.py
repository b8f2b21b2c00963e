"""Interactive charts for the HTML report: chart data in, plotly ``<div>`` out.

A :class:`ChartData` holds only numbers and labels, so the same chart can be drawn
interactively here (plotly, for the browser) and as a PNG by :mod:`static_charts`
(matplotlib, for the Markdown form). plotly.js itself is inlined once per report
(:func:`plotly_js`) so the page opens offline.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ChartKind = Literal["area", "lines", "scatter", "bars"]

# Colour-blind-safe qualitative palette (Okabe-Ito, then Tableau 10 for more groups).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
           "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#9C755F", "#BAB0AC"]
OTHER_COLOUR = "#BBBBBB"
UNKNOWN_COLOUR = "#7F7F7F"


@dataclass
class Series:
    """One line, area band, bar group or scatter group."""

    name: str
    x: list[Any]
    y: Sequence[float | None]  # read only: a caller's list[float] is accepted as it is
    hover: list[str] | None = None  # extra hover text per point (untrusted text is escaped on drawing)


@dataclass
class ChartData:
    """What to draw, independent of the drawing library."""

    key: str
    title: str
    kind: ChartKind
    x_title: str
    y_title: str
    series: list[Series] = field(default_factory=list)
    percent: bool = False  # y values are shares in [0, 1]
    log_x: bool = False
    log_y: bool = False
    x_ticks: list[Any] | None = None  # explicit tick positions (e.g. RAM age checkpoints on a log axis)
    caption: str = ""
    y_range: tuple[float, float] | None = None  # a bounded measure (HHI, Gini) keeps its frame, not a zoom on noise
    source: str = ""  # the source line drawn under the chart: snapshots, sources, dates, population, coverage
    method: str = ""  # key of the report's method note the chart follows (outputs.methods.METHODS)
    synthetic: bool = False  # marks the image itself (watermark), not only the page around it

    def undrawable(self) -> str | None:
        """Why this chart would draw only an empty frame or meaningless axes, or None when it has data.

        Empty series, all-missing values, or a single x value for a line or area (a level, not a trend).
        """
        xs = {x for s in self.series for x, y in zip(s.x, s.y, strict=False) if y is not None and _num(y) is not None}
        if not xs:
            return "no data to draw"
        if self.kind in ("area", "lines") and len(xs) < 2:
            return f"only one point ({next(iter(xs))}), which is a level, not a trend"
        if self.kind == "area" and not any(v for s in self.series for v in s.y if v is not None):
            return "every value is zero"
        return None

    def colour(self, index: int, name: str) -> str:
        """Stable colour per series position; the aggregated 'other' and 'unknown' bands are grey."""
        if name == "other":
            return OTHER_COLOUR
        if name == "unknown":
            return UNKNOWN_COLOUR
        return PALETTE[index % len(PALETTE)]


def share_bar_values(rows: list[dict[str, Any]], col: str, label: Any, top: int) -> tuple[list[str], list[float]]:
    """Bars of one census's shares: the ``top`` largest groups, then 'other' (the rest) and 'unknown' (NULL)."""
    rows = [r for r in rows if r.get("share") is not None]
    known = [r for r in rows if r.get(col) is not None][:top]
    rest = sum(float(r["share"]) for r in rows if r.get(col) is not None) - sum(float(r["share"]) for r in known)
    unknown = sum(float(r["share"]) for r in rows if r.get(col) is None)
    x = [label(r[col]) for r in known] + (["other"] if rest > 1e-12 else []) + (["unknown"] if unknown else [])
    y = [float(r["share"]) for r in known] + ([rest] if rest > 1e-12 else []) + ([unknown] if unknown else [])
    return x, y


def _num(v: Any) -> Any:
    return None if isinstance(v, float) and (math.isnan(v) or math.isinf(v)) else v


def _label(text: Any) -> str:
    """plotly.js renders a subset of HTML in labels: escape untrusted text so it shows literally."""
    return html.escape(str(text), quote=False)


SOURCE_SHIFT = 70  # px below the x axis title for the source line


def _wrap(text: str, width: int) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


_FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"
_AXIS = {"gridcolor": "#E5EAF2", "linecolor": "#C9D1DD", "zeroline": False, "automargin": True,
         "exponentformat": "power"}


def plotly_figure(chart: ChartData) -> dict[str, Any]:
    """The plotly figure for one chart, as the plain ``{"data", "layout"}`` dict plotly.js takes.

    Built directly (no ``plotly.graph_objects`` validation, which costs ~0.1 s per figure): the
    trace and layout keys used here are plain plotly.js attributes.
    """
    traces: list[dict[str, Any]] = []
    for i, s in enumerate(chart.series):
        colour = chart.colour(i, s.name)
        name = _label(s.name)
        trace: dict[str, Any] = {"x": list(s.x), "y": [_num(v) for v in s.y], "name": name}
        if s.hover:
            trace["text"] = [_label(h) for h in s.hover]
        if chart.kind == "area":
            trace.update(type="scatter", mode="lines", stackgroup="one", line={"width": 0.5, "color": colour},
                         fillcolor=colour)
            if chart.percent:
                trace["hovertemplate"] = "%{y:.1%}<extra>" + name + "</extra>"
        elif chart.kind == "lines":
            trace.update(type="scatter", mode="lines+markers", line={"color": colour}, marker={"size": 5})
            if chart.percent:
                trace["hovertemplate"] = "%{y:.1%}<extra>" + name + "</extra>"
        elif chart.kind == "scatter":
            trace.update(type="scatter", mode="markers", marker={"color": colour, "size": 6, "opacity": 0.7})
            if s.hover:
                trace["hovertemplate"] = "%{text}<br>x=%{x}<br>y=%{y:.3g}<extra>" + name + "</extra>"
        elif chart.kind == "bars":
            trace.update(type="bar", marker={"color": colour})
            if chart.percent:
                trace["hovertemplate"] = "%{x}: %{y:.1%}<extra>" + name + "</extra>"
        else:  # pragma: no cover - ChartKind is closed
            raise ValueError(f"unknown chart kind {chart.kind!r}")
        traces.append(trace)
    xaxis = {**_AXIS, "title": {"text": _label(chart.x_title)}}
    yaxis = {**_AXIS, "title": {"text": _label(chart.y_title)}}
    if chart.log_x:
        xaxis["type"] = "log"
    if chart.x_ticks:
        xaxis["tickvals"] = list(chart.x_ticks)
    if chart.log_y:
        yaxis["type"] = "log"
    if chart.y_range:
        yaxis["range"] = list(chart.y_range)
    if chart.percent:
        yaxis["tickformat"] = ".0%"
        if chart.kind == "area":
            yaxis["range"] = [0, 1]
        elif chart.kind == "lines":
            yaxis["range"] = [0, 1.02]  # shares: keep the 0-100 % frame instead of zooming on noise
    annotations = []
    shift = SOURCE_SHIFT if chart.source else 0
    if chart.source:  # the source line travels with the figure (also in plotly's PNG download)
        annotations.append({"text": _label(_wrap(chart.source, 170)).replace("\n", "<br>"), "xref": "paper",
                            "yref": "paper", "x": 0, "y": 0, "yshift": -SOURCE_SHIFT, "xanchor": "left",
                            "yanchor": "top", "showarrow": False, "align": "left",
                            "font": {"size": 10, "color": "#5b6475"}})
    if chart.synthetic:
        annotations.append({"text": "SYNTHETIC DATA — NOT A FINDING", "xref": "paper", "yref": "paper", "x": 0.5,
                            "y": 0.5, "showarrow": False, "textangle": -20, "opacity": 0.18,
                            "font": {"size": 44, "color": "#b3261e"}})
    layout = {
        "title": {"text": ("[SYNTHETIC] " if chart.synthetic else "") + _label(chart.title), "x": 0.01,
                  "font": {"size": 15}},
        "height": 430 + shift, "margin": {"l": 60, "r": 20, "t": 50, "b": 50 + shift},
        "annotations": annotations,
        "paper_bgcolor": "#ffffff", "plot_bgcolor": "#ffffff",
        "font": {"family": _FONT, "color": "#1d2330"}, "legend": {"font": {"size": 11}},
        "barmode": "group", "hovermode": "closest" if chart.kind in ("scatter", "bars") else "x unified",
        "xaxis": xaxis, "yaxis": yaxis,
    }
    return {"data": traces, "layout": layout}


def script_json(value: Any) -> str:
    """JSON that is safe inside a ``<script>`` element: ``<``, ``>``, ``&`` and line separators are escaped."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=str)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["sendDataToCloud"]}


def chart_html(chart: ChartData) -> str:
    """A ``<div>`` + inline script drawing the chart; expects plotly.js already on the page.

    The data is serialised by :func:`script_json`, so an untrusted label cannot close the script
    element; labels are also HTML-escaped because plotly.js renders a subset of HTML in text.
    """
    div_id = "chart-" + re.sub(r"[^A-Za-z0-9_-]", "-", chart.key)
    reason = chart.undrawable()
    if reason:  # never an empty frame with made-up axes
        return f'<p class="note" id="{div_id}">{html.escape(chart.title)}: not drawn — {html.escape(reason)}.</p>'
    fig = plotly_figure(chart)
    height = fig["layout"]["height"]
    return (f'<div id="{div_id}" class="plotly-graph-div" style="height:{height}px;width:100%;"></div>\n'
            f'<script>Plotly.newPlot("{div_id}", {script_json(fig["data"])}, {script_json(fig["layout"])}, '
            f'{script_json(_CONFIG)});</script>')


def plotly_js() -> str:
    """The bundled plotly.js source, to inline once per report (no CDN: the report opens offline)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()
