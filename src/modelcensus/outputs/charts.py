"""Interactive charts for the HTML report: chart data in, plotly ``<div>`` out.

A :class:`ChartData` holds only numbers and labels, so the same chart can be drawn
interactively here (plotly, for the browser) and as a PNG by :mod:`static_charts`
(matplotlib, for the Markdown form). plotly.js itself is inlined once per report
(:func:`plotly_js`) so the page opens offline.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any, Literal

import plotly.graph_objects as go
import plotly.io as pio

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
    y: list[float | None]
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

    def colour(self, index: int, name: str) -> str:
        """Stable colour per series position; the aggregated 'other' and 'unknown' bands are grey."""
        if name == "other":
            return OTHER_COLOUR
        if name == "unknown":
            return UNKNOWN_COLOUR
        return PALETTE[index % len(PALETTE)]


def _label(text: Any) -> str:
    """plotly.js renders a subset of HTML in labels: escape untrusted text so it shows literally."""
    return html.escape(str(text), quote=False)


def plotly_figure(chart: ChartData) -> go.Figure:
    """The plotly figure for one chart."""
    fig = go.Figure()
    for i, s in enumerate(chart.series):
        colour = chart.colour(i, s.name)
        name = _label(s.name)
        hover = [_label(h) for h in s.hover] if s.hover else None
        if chart.kind == "area":
            fig.add_trace(go.Scatter(x=s.x, y=s.y, name=name, mode="lines", stackgroup="one",
                                     line={"width": 0.5, "color": colour}, text=hover,
                                     hovertemplate="%{x}: %{y:.1%}<extra>" + name + "</extra>"
                                     if chart.percent else None))
        elif chart.kind == "lines":
            fig.add_trace(go.Scatter(x=s.x, y=s.y, name=name, mode="lines+markers",
                                     line={"color": colour}, marker={"size": 5}, text=hover))
        elif chart.kind == "scatter":
            fig.add_trace(go.Scatter(x=s.x, y=s.y, name=name, mode="markers", text=hover,
                                     marker={"color": colour, "size": 6, "opacity": 0.7},
                                     hovertemplate="%{text}<br>x=%{x}<br>y=%{y:.3g}<extra>" + name + "</extra>"
                                     if hover else None))
        elif chart.kind == "bars":
            fig.add_trace(go.Bar(x=s.x, y=s.y, name=name, marker={"color": colour}, text=hover))
        else:  # pragma: no cover - ChartKind is closed
            raise ValueError(f"unknown chart kind {chart.kind!r}")
    fig.update_layout(
        template="plotly_white",
        title={"text": _label(chart.title), "x": 0.01, "font": {"size": 15}},
        height=430,
        margin={"l": 60, "r": 20, "t": 50, "b": 50},
        legend={"font": {"size": 11}},
        barmode="group",
        hovermode="closest" if chart.kind == "scatter" else "x unified",
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"},
    )
    fig.update_xaxes(title_text=_label(chart.x_title), type="log" if chart.log_x else None,
                     tickvals=chart.x_ticks, exponentformat="power")
    fig.update_yaxes(title_text=_label(chart.y_title), type="log" if chart.log_y else None, exponentformat="power",
                     tickformat=".0%" if chart.percent else None,
                     range=[0, 1] if chart.percent and chart.kind == "area" else None)
    return fig


def chart_html(chart: ChartData) -> str:
    """A ``<div>`` + inline script drawing the chart; expects plotly.js already on the page.

    plotly serialises the data with ``<``, ``>`` and ``/`` escaped as ``\\u003c`` etc., so an
    untrusted label cannot close the script element.
    """
    return pio.to_html(
        plotly_figure(chart),
        full_html=False,
        include_plotlyjs=False,
        include_mathjax=False,
        div_id=f"chart-{chart.key}",
        config={"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["sendDataToCloud"]},
    )


def plotly_js() -> str:
    """The bundled plotly.js source, to inline once per report (no CDN: the report opens offline)."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs()
