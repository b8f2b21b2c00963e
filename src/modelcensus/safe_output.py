"""Untrusted text on its way out: one helper for terminals, one for CSV cells.

Model ids, folder names, licences and card fields come from the Hub or from files anyone can
write. Two things go wrong when they are written out raw:

- **Terminals** obey escape sequences: an id holding ``ESC ]8;;…BEL`` plants a hyperlink, ``ESC [2J``
  clears the screen, ``CR`` overwrites what was printed before it (a ``fail`` turned into ``pass``).
  :func:`terminal` makes every control character visible (``\\x1b``, ``\\r``, ``\\x9b``) instead;
  Rich does not (it drops BEL and CR but passes ESC and C1 codes through).
- **Spreadsheets** run cells that start with ``=``, ``+``, ``-`` or ``@`` (and tab or CR, which some
  strip first) as formulas. Following OWASP's advice, :func:`csv_cell` prefixes such a *text* cell
  with ``'``. Numbers are written as numbers (``-5`` stays ``-5``: a spreadsheet reads it as the
  number minus five, and a number cannot carry a formula); only text cells are guarded, so the text
  ``"-5"`` becomes ``'-5``. A text cell that itself starts with ``'`` gets one more ``'`` so the rule
  can be undone exactly (:func:`csv_unguard_sql`, used when a CSV export is imported back), and a
  spreadsheet, which hides one leading ``'``, shows the original text.

Written here rather than taken from a library because both rules are a few lines over the standard
library, and every writer (CLI, metrics, audit, exports through DuckDB SQL) must share exactly the
same character set.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

# OWASP CSV injection: cells starting with these are formulas (tab and CR: some readers strip them first)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
GUARD = "'"
# bidirectional embedding/override/isolate marks reorder what follows them on screen ("Trojan Source")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def _visible(ch: str) -> str:
    return ch.encode("unicode_escape").decode("ascii")


def terminal(text: Any, *, newlines: bool = False) -> str:
    """``text`` with every control character (C0, DEL, C1, bidi overrides) made visible as an escape.

    ``newlines=True`` keeps line feeds for multi-line output (a Markdown page); everything else that a
    terminal would act on, including CR, is escaped.
    """
    s = str(text)
    if s.isprintable() and not (_BIDI & set(s)):
        return s  # the common case: nothing to do
    return "".join(ch if (ch.isprintable() and ch not in _BIDI) or (newlines and ch == "\n") else _visible(ch)
                   for ch in s)


def csv_cell(value: Any) -> Any:
    """One CSV cell: a text value starting with a formula trigger (or the guard itself) gets a leading ``'``."""
    if isinstance(value, str) and value.startswith((*FORMULA_TRIGGERS, GUARD)):
        return GUARD + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], *, lineterminator: str = "\n") -> str:
    """A whole CSV document (header then rows), every text cell through :func:`csv_cell`."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=lineterminator)
    w.writerow([csv_cell(h) for h in header])
    for row in rows:
        w.writerow([csv_cell(v) for v in row])
    return buf.getvalue()


def _sql_chars() -> str:
    return "".join(FORMULA_TRIGGERS + (GUARD,)).replace("'", "''")


def csv_guard_sql(expr: str) -> str:
    """:func:`csv_cell` as a DuckDB expression over a VARCHAR ``expr`` (for ``COPY ... (FORMAT csv)``)."""
    chars = _sql_chars().replace("-", "\\-")
    return f"(CASE WHEN regexp_matches({expr}, '^[{chars}]') THEN '''' || {expr} ELSE {expr} END)"


def csv_unguard_sql(expr: str) -> str:
    """Undo :func:`csv_guard_sql` on a VARCHAR ``expr``: drop a ``'`` that precedes a trigger or a ``'``."""
    chars = _sql_chars().replace("-", "\\-")
    return f"regexp_replace({expr}, '^''([{chars}])', '\\1')"
