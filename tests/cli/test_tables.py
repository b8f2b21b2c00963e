"""Tables stay readable at 80 columns and numbers are written one way (issue 8 item 10).

Before: dates cut to ``2025-03-…``, headers folded mid-word (``downloads_shar`` / ``e``), a share of
``1`` next to ``0.5997``, ``1.07e+04`` next to ``1,058``.
"""

from __future__ import annotations

import io
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text

from modelcensus.cli.main import run
from modelcensus.metrics import METRIC_NAMES
from modelcensus.terminal_tables import Col, date_cells, fit_table, number_cells, print_table

MC = Path(sys.executable).with_name("modelcensus")
BORDER = re.compile(r"[│┃]")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Three monthly snapshots of a 300-model synthetic hub, lineage built (the demo without its report)."""
    from modelcensus.lineage import ensure_lineage
    from modelcensus.lineage.registry import load_registry
    from modelcensus.sources.synthetic import generate_hub, load_series
    from modelcensus.store import Store

    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with Store(db) as store:
        registry = load_registry()
        for snap in load_series(store, generate_hub(n_models=300, seed=7, months=3)):
            ensure_lineage(store, snap.id, registry)
    return str(db)


def _cells(text: str) -> list[str]:
    return [c.strip() for line in text.splitlines() if BORDER.search(line) for c in BORDER.split(line)[1:-1]]


def _check_80(text: str) -> None:
    from rich.cells import cell_len

    for line in text.splitlines():
        assert cell_len(line.rstrip()) <= 80, line
    assert "…" not in text


def test_number_columns_are_formatted_as_a_whole() -> None:
    assert number_cells("share", [1, 0.5997, None]) == ["100.0 %", "60.0 %", ""]
    assert number_cells("downloads", [10_700, 1058]) == ["10,700", "1,058"]
    assert number_cells("downloads", [10_700.25, 1058]) == ["10,700.2", "1,058.0"]
    assert number_cells("models", [0.5, 2]) == ["0.50", "2.00"]
    assert number_cells("hhi", [0.68, 1]) == ["0.680", "1.000"]
    assert number_cells("cr5", [0.96]) == ["96.0 %"]
    assert number_cells("org", ["Qwen", 1]) is None
    assert date_cells(["2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"]) == ["2025-03-01", "2025-04-01"]
    assert date_cells(["2025-03-01T23:59:59Z", "2025-03-01T23:59:59Z", None]) == ["2025-03-01", "2025-03-01", ""]
    assert date_cells(["2025-03-01T00:00:00Z", "2025-03-01T12:30:00Z"]) == ["2025-03-01 00:00", "2025-03-01 12:30"]


def test_fit_table_leaves_out_low_priority_columns_and_never_cuts_the_rest() -> None:
    cols = [Col("id"), Col("observed"), Col("a_long_header_name", right=True, priority=2),
            Col("note", wrap=True, priority=1)]
    rows = [["org/" + "x" * 30, "2025-03-01", "1,234", "some words that can wrap at spaces " * 3]]
    table, dropped = fit_table(cols, rows, 72)
    assert dropped == ["a_long_header_name"]
    console = Console(width=72, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(table)
    text = console.export_text()
    _check_80(text)
    assert "org/" + "x" * 30 in text and "2025-03-01" in text  # whole, not folded
    assert all(len(line) <= 72 for line in text.splitlines())
    assert "wrap at spaces some" in text.replace("\n", " ") or "spaces" in text  # free text wraps at spaces


@pytest.mark.parametrize("name", [m for m in METRIC_NAMES if m != "region_shift"])
def test_every_metric_table_fits_80_columns(demo_db: str, name: str, capsys, monkeypatch) -> None:
    from modelcensus.cli.common import out

    monkeypatch.setattr(out, "width", 80)
    assert run(["--db", demo_db, "metrics", name]) == 0
    text = capsys.readouterr().out
    _check_80(text)
    header = next(line for line in text.splitlines() if line.startswith("┃"))
    for cell in _cells(header):  # every header shown whole: no 'downloads_shar' / 'e'
        assert re.fullmatch(r"[a-z0-9_]+", cell), header
    for cell in _cells(text):
        assert not re.fullmatch(r"-?\d\.\d+e[+-]\d+", cell), cell


def test_snapshots_and_lineage_fit_80_columns_in_a_real_terminal_width(demo_db: str) -> None:
    env = {**os.environ, "COLUMNS": "80", "LINES": "50"}
    for args in (["snapshots"], ["metrics", "licences", "--by", "license"], ["metrics", "concentration"]):
        proc = subprocess.run([str(MC), "--db", demo_db, *args], capture_output=True, text=True, env=env,
                              timeout=120, stdin=subprocess.DEVNULL)
        assert proc.returncode == 0, proc.stderr
        _check_80(proc.stdout)
    proc = subprocess.run([str(MC), "--db", demo_db, "snapshots"], capture_output=True, text=True, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert re.search(r"│ +1 │ 20\d\d-\d\d-\d\d", proc.stdout), proc.stdout  # whole dates


def test_licences_by_license_shares_are_percentages_that_sum_to_100(demo_db: str, capsys, monkeypatch) -> None:
    from modelcensus.cli.common import out

    monkeypatch.setattr(out, "width", 120)
    assert run(["--db", demo_db, "metrics", "licences", "--by", "license"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("│")]
    shares = [float(_cells(r)[4].removesuffix(" %")) for r in rows]
    assert len(shares) > 3 and shares != [100.0] * len(shares)
    assert abs(sum(shares) - 100) < 0.1 * len(shares)


def test_report_cells_never_use_scientific_notation() -> None:
    from modelcensus.outputs.formatting import fmt_cell, fmt_float

    assert [fmt_cell(v) for v in (10_700.5, 1058, 12.34, 0.5997)] == ["10,700", "1,058", "12.3", "0.600"]
    assert fmt_float(0.00001) == "< 0.001" and "e" not in fmt_float(123456789.5)


class _AsciiFile(io.StringIO):
    """A stream that cannot take box-drawing characters: Rich draws its ASCII box."""

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "ascii"


def _rich_only(console: Console, cols: list[Col], rows: list[list[Any]], title: str | None) -> None:
    """What print_table printed before it wrote long tables' rows itself: Rich draws every cell."""
    table, dropped = fit_table(cols, rows, console.width, title=title)
    console.print(table, soft_wrap=False)
    if dropped:
        console.print(f"(left out at {console.width} columns: {', '.join(dropped)}; --format json has every "
                      "column)", markup=False, highlight=False, soft_wrap=False)


def test_print_table_writes_what_rich_draws_character_for_character(monkeypatch: pytest.MonkeyPatch) -> None:
    """print_table writes plain tables' rows itself; over random tables its output is Rich's own. Text cells
    (wide and combining characters, spaces Rich strips when it right-justifies, and characters ``terminal()``
    escapes: control characters, tabs, line breaks, zero-width ones) take that path; a caller's own ``Text``
    (styled, justified, or unescaped: NBSP, a trailing zero-width joiner), wrapping and folding columns, narrow
    terminals, and consoles with a style or a recording go to Rich whole. Colour and ASCII-only consoles both."""
    from modelcensus import terminal_tables

    written: list[bool] = []
    real = terminal_tables._borders
    monkeypatch.setattr(terminal_tables, "_borders",
                        lambda line, widths: (lambda seps: (written.append(seps is not None), seps)[1])(
                            real(line, widths)))
    rnd = random.Random(20261204)
    plain = [*"abxyz/-_.019  ", "日", "本", "é", "e\u0301", "😀", "Ω", "1\ufe0f", "\u00a0", "\u3000", "\u200b",
             "\u200d"]
    hostile = [*plain, "\x1b[31m", "\t", "\n", "\u202e", "[b]"]

    def own_text() -> Text:  # a caller's Text: drawn by Rich as it says
        return rnd.choice([Text("styled", style="red"), Text("1.5", justify="center"), Text("x\u200d"),
                           Text("a\u00a0 "), Text("y", end="|"), Text("12", justify="full")])

    for case in range(600):
        cols = [Col(rnd.choice(["model_id", "n", "share", "a_long_column_name"]) + str(k), right=rnd.random() < .5,
                    priority=rnd.randint(0, 2), wrap=rnd.random() < .05) for k in range(rnd.randint(1, 6))]
        alphabet = hostile if rnd.random() < .1 else plain
        with_text = rnd.random() < .1
        rows: list[list[Any]] = [[None if rnd.random() < .03 else own_text() if with_text and rnd.random() < .2
                                  else "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 25)))
                                  for _ in cols] for _ in range(rnd.randint(0, 12))]
        title = rnd.choice([None, "ram by size_class", "日本"])
        colour, ascii_only, width = rnd.random() < .5, rnd.random() < .2, rnd.randint(20, 160)
        extra: dict[str, Any] = {"style": "on blue"} if case % 40 == 0 else {"record": True} if case % 40 == 1 else {}
        got, want = ([Console(file=_AsciiFile() if ascii_only else io.StringIO(), width=width, force_terminal=colour,
                              color_system="truecolor" if colour else None, **extra) for _ in range(2)])
        print_table(got, cols, rows, title=title)
        _rich_only(want, cols, rows, title)
        assert got.file.getvalue() == want.file.getvalue(), (cols, rows, width, colour, ascii_only, extra)  # type: ignore[attr-defined]
        if extra.get("record"):  # an SVG export draws each segment: Rich's segments, not one per row
            assert got.export_svg(unique_id="t") == want.export_svg(unique_id="t")
    assert sum(written) > 250  # most tables had their rows written here (not counting Rich's whole-table fallback)


def test_long_plain_tables_do_not_hand_their_rows_to_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    """63K rows took Rich about 24 s (metrics ram at 2.2M models); a plain table's rows are written here, and a
    table with a styled cell still goes to Rich whole."""
    import rich.table

    added: list[int] = []
    real = rich.table.Table.add_row
    monkeypatch.setattr(rich.table.Table, "add_row", lambda self, *a, **k: (added.append(1), real(self, *a, **k))[1])
    cols = [Col("model_id"), Col("age_months", right=True), Col("ram_gb", right=True)]
    rows: list[list[Any]] = [[f"org{i % 50}/model-{i}", str(i % 24), f"{i / 7:,.2f}"] for i in range(5000)]
    console = Console(file=io.StringIO(), width=100)
    print_table(console, cols, rows, title="ram")
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert len(added) == 1 and text.count("\n│ org") == 5000 and "│ org49/model-4999 │" in text
    added.clear()
    print_table(Console(file=io.StringIO(), width=100), cols, [*rows[:10], [Text("x", style="red"), "1", "2"]])
    assert len(added) == 11
