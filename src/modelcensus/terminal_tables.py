"""Terminal tables that stay readable at 80 columns, and numbers written one way (the CLI's tables and
the audit table use it, so it sits below both stages).

Rich shrinks a table that does not fit by cutting cells (``2025-03-…``) or folding them mid-word
(``downloads_shar`` / ``e``). Here each column says how much it matters instead: identifiers, dates
and numbers never wrap; when the terminal is too narrow, the least important columns are left out
(and a line under the table names them), and only free-text columns wrap, at spaces.

Numbers: a column is formatted as a whole, so its cells agree (``100.0 %`` next to ``60.0 %``, never
``1`` next to ``0.5997``): shares as percentages with one decimal, counts with thousands separators and
the same number of decimals on every row, never scientific notation.

Long tables: Rich lays out and wraps every cell of every row. ``metrics ram`` at 2.2M models (52,669 rows) took
24.3 s as a table and 8.2 s as ``--format json``, so about 16 s were the table. A table whose kept columns never
wrap and whose cells all came as text or numbers (escaped here: no caller's own ``Text``, which may carry a style,
a justify or a character Rich pads differently) has rows of known width, so :func:`print_table` lets Rich draw the
title, header and borders around one empty row and writes the body rows itself, in the box characters Rich chose:
11.0 s for that command, and 1.9 s against Rich's 19.9 s for 63K rows in ``benchmarks/bench_terminal_table.py``. A
console with a style of its own or one that records (for an SVG export) gets Rich's table, whose segments those
treat one by one. ``tests/cli/test_tables.py`` checks the two agree character for character.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from modelcensus.safe_output import terminal

MIN_WRAP = 16          # a wrapping column keeps at least this many cells (or its longest word)
SHARE = re.compile(r"^(share|.*_share|cr\d+)$")
INDEX = ("hhi", "gini")


@dataclass(frozen=True)
class Col:
    """One column: ``priority`` 0 is always shown; higher numbers are left out first on a narrow terminal."""

    name: str
    right: bool = False
    priority: int = 0
    wrap: bool = False


def _need(col: Col, cells: list[str]) -> tuple[int, int]:
    """(minimum, natural) width of a column: non-wrapping columns need their widest cell."""
    widths = [cell_len(c) for line in cells for c in line.split("\n")] or [0]
    natural = max(cell_len(col.name), *widths)
    if not col.wrap:
        return natural, natural
    longest_word = max([cell_len(w) for c in cells for w in c.split()] or [0])
    return max(cell_len(col.name), longest_word, min(natural, MIN_WRAP)), natural


@dataclass
class _Layout:
    """What fits ``width``: the columns kept, the one that folds (if any), each column's (min, natural) width
    and the rows as text cells."""

    keep: list[int]
    fold: int | None
    needs: list[tuple[int, int]]
    text_rows: list[list[Text]]


def _layout(cols: Sequence[Col], rows: Sequence[Sequence[Any]], width: int) -> _Layout:
    # text cells are escaped here; a rich Text cell is the caller's own (styled, already safe) text
    text_rows = [[c if isinstance(c, Text) else Text(terminal(c if c is not None else "", newlines=True))
                  for c in r] for r in rows]
    needs = [_need(col, [r[i].plain for r in text_rows]) for i, col in enumerate(cols)]
    keep = list(range(len(cols)))

    def total(idx: list[int]) -> int:
        return sum(needs[i][0] for i in idx) + 3 * len(idx) + 1  # padding 1+1 and one border per column

    for i in sorted(range(len(cols)), key=lambda i: (-cols[i].priority, -i)):
        if total(keep) <= width or cols[i].priority == 0:
            break
        keep.remove(i)
    # still too wide with only the essential columns: the widest text column folds (the one case where a long
    # id is split; the alternative is a table wider than the terminal, which the terminal folds everywhere)
    fold = None
    if total(keep) > width:
        text = [i for i in keep if not cols[i].right and not cols[i].wrap]
        fold = max(text, key=lambda i: needs[i][0], default=None)
    return _Layout(keep, fold, needs, text_rows)


def _rich_table(cols: Sequence[Col], lay: _Layout, title: str | None, rows: Sequence[Sequence[Text]]) -> Table:
    table = Table(title=terminal(title) if title else None, title_justify="left")
    for i in lay.keep:
        col = cols[i]
        wraps = col.wrap or i == lay.fold
        table.add_column(col.name, justify="right" if col.right else "left", no_wrap=not wraps,
                         overflow="fold", min_width=None if wraps else lay.needs[i][0])
    for r in rows:
        table.add_row(*(r[i] for i in lay.keep))
    return table


def fit_table(cols: Sequence[Col], rows: Sequence[Sequence[Any]], width: int, *,
              title: str | None = None) -> tuple[Table, list[str]]:
    """A Rich table of ``rows`` (text cells, escaped here) that fits ``width``; returns it with the names
    of the columns left out to make it fit."""
    lay = _layout(cols, rows, width)
    return _rich_table(cols, lay, title, lay.text_rows), [cols[i].name for i in range(len(cols)) if i not in lay.keep]


def _plain(given: Sequence[Sequence[Any]], lay: _Layout) -> bool:
    """Every cell given as text or a number (escaped by ``_layout``: no control character, tab or zero-width
    joiner is left) and one line: Rich draws such a cell as its text and nothing else."""
    return not any(isinstance(c, Text) for r in given for c in r) \
        and not any("\n" in c.plain for r in lay.text_rows for c in r)


class _KnownWidthRows:
    """A table whose body rows are written here, between the title, header and borders Rich draws around one
    empty row (see the module docstring); when Rich's empty row is not the plain line expected, Rich draws the
    whole table instead."""

    def __init__(self, cols: Sequence[Col], lay: _Layout, title: str | None) -> None:
        self.cols, self.lay, self.title = cols, lay, title

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lay = self.lay
        empty = [Text("") for _ in self.cols]
        lines = console.render_lines(_rich_table(self.cols, lay, self.title, [empty]), options, pad=False)
        widths = [lay.needs[i][0] for i in lay.keep]
        seps = _borders(lines[-2], widths) if len(lines) >= 2 else None
        if seps is None:
            yield _rich_table(self.cols, lay, self.title, lay.text_rows)
            return
        for line in lines[:-2]:
            yield from line
            yield Segment.line()
        left, inner = seps[0], seps[1:]
        right = [self.cols[i].right for i in lay.keep]
        for r in lay.text_rows:
            parts = [left]
            for k, i in enumerate(lay.keep):
                text = r[i].plain.rstrip() if right[k] else r[i].plain  # as Rich justifies to the right
                pad = " " * (widths[k] - cell_len(text))
                parts.append(f" {pad}{text} " if right[k] else f" {text}{pad} ")
                parts.append(inner[k])
            yield Segment("".join(parts))
            yield Segment.line()
        yield from lines[-1]
        yield Segment.line()


def _borders(line: list[Segment], widths: list[int]) -> list[str] | None:
    """The border characters of Rich's empty row (left, then one after each column), or None unless the line
    is unstyled borders around blank cells of exactly ``widths``."""
    if any(seg.style or seg.control for seg in line):
        return None
    text = "".join(seg.text for seg in line)
    if len(text) != sum(widths) + 3 * len(widths) + 1 or cell_len(text) != len(text):
        return None
    seps, pos = [text[0]], 1
    for w in widths:
        if text[pos:pos + w + 2] != " " * (w + 2):
            return None
        seps.append(text[pos + w + 2])
        pos += w + 3
    return seps if all(not c.isspace() for c in seps) else None


def print_table(console: Console, cols: Sequence[Col], rows: Sequence[Sequence[Any]], *,
                title: str | None = None, more: str = "--format json") -> None:
    """Print a fitted table, then which columns did not fit (and where to find them)."""
    lay = _layout(cols, rows, console.width)
    known = lay.fold is None and all(not cols[i].wrap for i in lay.keep) and not console.style \
        and not console.record and _plain(rows, lay)
    console.print(_KnownWidthRows(cols, lay, title) if known else _rich_table(cols, lay, title, lay.text_rows),
                  soft_wrap=False)
    dropped = [cols[i].name for i in range(len(cols)) if i not in lay.keep]
    if dropped:
        console.print(f"(left out at {console.width} columns: {', '.join(dropped)}; {more} has every column)",
                      markup=False, highlight=False, soft_wrap=False)


def _finite(values: Sequence[Any]) -> list[float]:
    return [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)
            and math.isfinite(float(v))]


def number_cells(name: str, values: Sequence[Any]) -> list[str] | None:
    """One numeric column formatted as a whole, or None when the column is not numeric.

    Shares (``share``, ``*_share``, ``crN``) become percentages with one decimal; ``hhi``/``gini`` keep
    three decimals; other columns use thousands separators and as many decimals as the column needs
    (0 when every value is whole, else 1 from 100 up, 2 below), the same on every row.
    """
    nums = _finite(values)
    if not nums or len(nums) != len([v for v in values if v is not None]):
        return None
    if SHARE.match(name):
        return ["" if v is None else f"{float(v) * 100:.1f} %" for v in values]
    if name in INDEX:
        return ["" if v is None else f"{float(v):.3f}" for v in values]
    whole = all(float(v).is_integer() for v in nums)
    decimals = 0 if whole else 1 if max(abs(v) for v in nums) >= 100 else 2
    return ["" if v is None else f"{float(v):,.{decimals}f}" for v in values]


def date_cells(values: Sequence[str | None]) -> list[str]:
    """ISO timestamps as ``YYYY-MM-DD``; the whole column as ``YYYY-MM-DD HH:MM`` only when two different
    timestamps fall on the same day (the time is then what tells them apart)."""
    distinct = {v for v in values if v}
    clock = len({v[:10] for v in distinct}) < len(distinct)
    return ["" if not v else (v[:10] + " " + v[11:16] if clock else v[:10]) for v in values]
