"""Chart drawing with hostile labels: plotly output cannot close its script, matplotlib draws `$` literally."""

from __future__ import annotations

from modelcensus.outputs.charts import ChartData, Series, chart_html
from modelcensus.outputs.static_charts import render_png

HOSTILE = "</script><script>alert(1)</script>|$x^2$ $"


def _chart(kind: str) -> ChartData:
    return ChartData(f"c-{kind}", HOSTILE, kind, "x $", "y", [Series(HOSTILE, ["2025-01-01", "2025-02-01"], [0.4, 0.6],
                                                                   hover=[HOSTILE, "ok"])], percent=True)


def test_plotly_div_cannot_break_out_of_its_script():
    for kind in ("area", "lines", "scatter", "bars"):
        html = chart_html(_chart(kind))
        assert "</script><script>alert(1)" not in html
        assert html.count("</script>") == 1  # only the chart's own script element closes
        assert "alert(1)" in html  # the label is there, encoded (\\u003c / &lt;), not dropped


def test_matplotlib_draws_dollar_labels_literally(tmp_path):
    for kind in ("area", "lines", "scatter", "bars"):
        path = render_png(_chart(kind), tmp_path / f"{kind}.png")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    log = ChartData("log", "RAM", "scatter", "age", "ram", [Series("7-9B", [7, 30, 365], [1e-4, 1.0, 30.0])],
                    log_x=True, log_y=True, x_ticks=[7, 30, 365])
    assert render_png(log, tmp_path / "log.png").stat().st_size > 5000
