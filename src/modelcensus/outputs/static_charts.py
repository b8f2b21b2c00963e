"""Static PNG charts for the Markdown report, drawn with matplotlib (no browser needed).

Same :class:`~modelcensus.outputs.charts.ChartData` as the interactive charts. Uses the
object-oriented Agg canvas (no pyplot global state). A PNG travels alone (pasted into slides, posted),
so the image itself carries the chart's source line and, for synthetic data, a watermark and a red
"SYNTHETIC DATA" label; a chart with nothing to draw becomes an image saying so, never empty axes.
Every label from the data has its ``$`` escaped,
so a model id such as ``a$b`` is drawn literally instead of being parsed (or failing) as mathtext.
"""

from __future__ import annotations

import textwrap
from datetime import date, datetime
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from modelcensus.outputs.charts import ChartData

MAX_LEGEND = 14


def _as_x(values: list) -> list:
    """Dates given as ISO strings become datetimes so matplotlib spaces them in time."""
    out = []
    for v in values:
        if isinstance(v, str) and len(v) >= 10 and v[4] == "-" and v[7] == "-":
            try:
                out.append(datetime.fromisoformat(v.replace("Z", "+00:00")))
                continue
            except ValueError:
                pass
        out.append(v)
    return out


def _txt(value: object) -> str:
    """Untrusted text for matplotlib: escape mathtext's ``$``."""
    return str(value).replace("$", r"\$")


def _marks(fig: Figure, chart: ChartData) -> None:
    """Source line at the bottom; watermark and label when the data is synthetic."""
    if chart.source:
        fig.text(0.01, 0.01, _txt(textwrap.fill(chart.source, 150)), ha="left", va="bottom", fontsize=7,
                 color="#5b6475")
    if chart.synthetic:
        fig.text(0.5, 0.55, "SYNTHETIC DATA", ha="center", va="center", fontsize=54, color="#b3261e",
                 alpha=0.16, rotation=20, fontweight="bold")
        fig.text(0.99, 0.99, "SYNTHETIC DATA — NOT A FINDING", ha="right", va="top", fontsize=9,
                 color="#ffffff", fontweight="bold", bbox={"facecolor": "#b3261e", "edgecolor": "none", "pad": 3})


def _figure(chart: ChartData, dpi: int) -> tuple[Figure, float]:
    """A figure with room at the bottom for the source line (its height in figure fraction)."""
    lines = len(textwrap.wrap(chart.source, 150)) if chart.source else 0
    fig = Figure(figsize=(9, 4.6 + 0.13 * lines), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig, (0.05 + 0.028 * lines) if lines else 0.02


def render_png(chart: ChartData, path: Path, *, dpi: int = 110) -> Path:
    """Draw ``chart`` into ``path`` (PNG) and return the path."""
    with matplotlib.rc_context({"font.size": 9}):
        fig, bottom = _figure(chart, dpi)
        reason = chart.undrawable()
        if reason:  # a notice, not empty axes
            fig.text(0.5, 0.6, _txt(chart.title), ha="center", va="center", fontsize=12)
            fig.text(0.5, 0.45, _txt(f"Not drawn: {reason}."), ha="center", va="center", fontsize=10,
                     color="#5b6475")
            _marks(fig, chart)
            path.parent.mkdir(parents=True, exist_ok=True)
            fig.savefig(path, format="png")
            return path
        top = 0.04 if chart.synthetic else 0.0  # room for the red label
        fig.set_layout_engine("constrained", rect=(0, bottom, 1, 1 - bottom - top))
        ax = fig.add_subplot()
        series = chart.series
        if chart.kind == "area" and series:
            xs = _as_x(series[0].x)
            ys = [[(v or 0.0) for v in s.y] for s in series]
            ax.stackplot(xs, ys, labels=[_txt(s.name) for s in series],
                         colors=[chart.colour(i, s.name) for i, s in enumerate(series)], alpha=0.9)
        elif chart.kind == "bars" and series:
            cats = [_txt(c) for c in series[0].x]
            width = 0.8 / len(series)
            for i, s in enumerate(series):
                pos = [j + (i - (len(series) - 1) / 2) * width for j in range(len(s.x))]
                ax.bar(pos, [v or 0 for v in s.y], width=width, label=_txt(s.name), color=chart.colour(i, s.name))
            ax.set_xticks(range(len(cats)), cats, rotation=30, ha="right")
        else:
            for i, s in enumerate(series):
                pts = [(x, y) for x, y in zip(_as_x(s.x), s.y, strict=False) if y is not None]
                if not pts:
                    continue
                px, py = zip(*pts, strict=True)
                if chart.kind == "scatter":
                    ax.scatter(px, py, s=9, alpha=0.6, label=_txt(s.name), color=chart.colour(i, s.name))
                else:
                    ax.plot(px, py, marker="o", markersize=3, label=_txt(s.name), color=chart.colour(i, s.name))
        if chart.log_x:
            ax.set_xscale("log")
        if chart.x_ticks:
            ax.set_xticks(chart.x_ticks, [str(t) for t in chart.x_ticks])
        if chart.log_y:
            ax.set_yscale("log")
        if chart.y_range:
            ax.set_ylim(*chart.y_range)
            ax.ticklabel_format(axis="y", useOffset=False, style="plain")
        if chart.percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            if chart.kind == "area":
                ax.set_ylim(0, 1)
            elif chart.kind == "lines":
                ax.set_ylim(0, 1.02)
        ax.set_title(("[SYNTHETIC] " if chart.synthetic else "") + _txt(chart.title), loc="left", fontsize=11)
        ax.set_xlabel(_txt(chart.x_title))
        ax.set_ylabel(_txt(chart.y_title))
        ax.grid(alpha=0.3)
        if series and any(isinstance(v, date) for v in _as_x(series[0].x)):
            fig.autofmt_xdate()
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(handles[:MAX_LEGEND], labels[:MAX_LEGEND], fontsize=7, loc="center left",
                      bbox_to_anchor=(1.01, 0.5), frameon=False)
        _marks(fig, chart)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    return path
