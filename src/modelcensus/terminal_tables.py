"""Terminal tables that stay readable at 80 columns, and numbers written one way (the CLI's tables and
the audit table use it, so it sits below both stages).

Rich shrinks a table that does not fit by cutting cells (``2025-03-…``) or folding them mid-word
(``downloads_shar`` / ``e``). Here each column says how much it matters instead: identifiers, dates
and numbers never wrap; when the terminal is too narrow, the least important columns are left out
(and a line under the table names them), and only free-text columns wrap, at spaces.

Numbers: a column is formatted as a whole, so its cells agree (``100.0 %`` next to ``60.0 %``, never
``1`` next to ``0.5997``): shares as percentages with one decimal, counts with thousands separators and
the same number of decimals on every row, never scientific notation.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.console import Console
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


def fit_table(cols: Sequence[Col], rows: Sequence[Sequence[Any]], width: int, *,
              title: str | None = None) -> tuple[Table, list[str]]:
    """A Rich table of ``rows`` (text cells, escaped here) that fits ``width``; returns it with the names
    of the columns left out to make it fit."""
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
    table = Table(title=terminal(title) if title else None, title_justify="left")
    for i in keep:
        col = cols[i]
        wraps = col.wrap or i == fold
        table.add_column(col.name, justify="right" if col.right else "left", no_wrap=not wraps,
                         overflow="fold", min_width=None if wraps else needs[i][0])
    for r in text_rows:
        table.add_row(*(r[i] for i in keep))
    return table, [cols[i].name for i in range(len(cols)) if i not in keep]


def print_table(console: Console, cols: Sequence[Col], rows: Sequence[Sequence[Any]], *,
                title: str | None = None, more: str = "--format json") -> None:
    """Print a fitted table, then which columns did not fit (and where to find them)."""
    table, dropped = fit_table(cols, rows, console.width, title=title)
    console.print(table, soft_wrap=False)
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
