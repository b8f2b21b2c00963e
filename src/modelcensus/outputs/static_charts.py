"""Static PNG charts for the Markdown report, drawn with matplotlib (no browser needed).

Same :class:`~modelcensus.outputs.charts.ChartData` as the interactive charts. Uses the
object-oriented Agg canvas (no pyplot global state). Every label from the data has its ``$`` escaped,
so a model id such as ``a$b`` is drawn literally instead of being parsed (or failing) as mathtext.
"""

from __future__ import annotations

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


def render_png(chart: ChartData, path: Path, *, dpi: int = 110) -> Path:
    """Draw ``chart`` into ``path`` (PNG) and return the path."""
    with matplotlib.rc_context({"font.size": 9}):
        fig = Figure(figsize=(9, 4.6), dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
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
                xs, ys = zip(*pts, strict=True)
                if chart.kind == "scatter":
                    ax.scatter(xs, ys, s=9, alpha=0.6, label=_txt(s.name), color=chart.colour(i, s.name))
                else:
                    ax.plot(xs, ys, marker="o", markersize=3, label=_txt(s.name), color=chart.colour(i, s.name))
        if chart.log_x:
            ax.set_xscale("log")
        if chart.x_ticks:
            ax.set_xticks(chart.x_ticks, [str(t) for t in chart.x_ticks])
        if chart.log_y:
            ax.set_yscale("log")
        if chart.percent:
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            if chart.kind == "area":
                ax.set_ylim(0, 1)
            elif chart.kind == "lines":
                ax.set_ylim(0, 1.02)
        ax.set_title(_txt(chart.title), loc="left", fontsize=11)
        ax.set_xlabel(_txt(chart.x_title))
        ax.set_ylabel(_txt(chart.y_title))
        ax.grid(alpha=0.3)
        if series and any(isinstance(v, date) for v in _as_x(series[0].x)):
            fig.autofmt_xdate()
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(handles[:MAX_LEGEND], labels[:MAX_LEGEND], fontsize=7, loc="center left",
                      bbox_to_anchor=(1.01, 0.5), frameon=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, format="png")
    return path
