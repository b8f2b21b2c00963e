"""Formatting shared by the headline, the tables, the source lines and the templates.

Also :func:`public_ref` / :func:`scrub_paths`: a report is mailed and published, so no local path
(``/home/...``, ``../shared/...``, ``C:\\...``) may appear in it; a file is named by its file name only.
"""

from __future__ import annotations

import json
import re
from typing import Any

from modelcensus.outputs.methods import cite_inline
from modelcensus.safe_output import terminal
from modelcensus.store import Snapshot


def pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{x * 100:.{digits}f} %"


def pp(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:+.1f} pp"


def fmt_int(x: Any) -> str:
    if x is None:
        return "n/a"
    try:
        return f"{round(float(x)):,}"
    except (TypeError, ValueError):
        return str(x)


def fmt_num(x: Any) -> str:
    """A count that may be fractional (merges credit 1/k): 1,234 or 1.5."""
    if x is None:
        return "n/a"
    v = float(x)
    return f"{round(v):,}" if abs(v - round(v)) < 1e-9 else f"{v:,.2f}".rstrip("0").rstrip(".")


def fmt_float(x: Any) -> str:
    """About three significant digits, never scientific notation (``10,700`` next to ``1,058``, not
    ``1.07e+04``): thousands separators from 1,000, more decimals only below 1."""
    v = float(x)
    if abs(v) >= 100:
        return f"{v:,.0f}"
    if abs(v) >= 1:
        return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"
    return "0" if v == 0 else f"{v:.3f}" if abs(v) >= 0.001 else ("< 0.001" if v > 0 else "> -0.001")


def fmt_cell(v: Any, fmt: str | None = None) -> str:
    """A table cell as text (the templates escape it afterwards)."""
    if v is None:
        return "—"
    if fmt == "pct":
        return pct(v)
    if fmt == "pp":
        return pp(v)
    if fmt == "round":
        return fmt_int(v)
    if fmt == "float":
        return fmt_float(v)
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    if fmt == "int" or isinstance(v, int | float) and not isinstance(v, bool):
        return fmt_num(v) if (fmt == "int" or float(v).is_integer()) else fmt_float(v)
    return str(v)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#|~])")


def md_escape(text: Any) -> str:
    """Escape untrusted text for Markdown: HTML metacharacters become entities, Markdown ones get a backslash.

    Newlines become spaces so a value can never start a new block (heading, table row, HTML block); other
    control characters (ESC, OSC, BEL: a Markdown file is read with ``cat`` too) are shown escaped.
    """
    s = re.sub(r"[\r\n\t\v\f\u2028\u2029]+", " ", "" if text is None else str(text))
    s = terminal(s)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", s)


class CountryNames:
    """ISO code -> 'China (CN)', from the registry's country table (knowledge is data)."""

    def __init__(self, registry: Any) -> None:
        self.names: dict[str, str] = dict(getattr(registry, "countries", {}) or {})

    def label(self, code: Any) -> str:
        if code is None:
            return "unknown"
        name = self.names.get(str(code).upper())
        return f"{name} ({code})" if name else str(code)

    def name(self, code: Any) -> str:
        if code is None:
            return "unknown"
        return self.names.get(str(code).upper(), str(code))


# -- no local paths ------------------------------------------------------------------------------------
# A path: a POSIX absolute one (not the second slash of a URL, not a/b inside a word), one starting with
# ./ ../ or ~/, or a Windows drive path. Only its last component is kept.
_PATH = re.compile(r"(?<![\w.:/\\-])(?:~|\.{1,2})?/(?:[^\s/\"'<>|;,()]+/)+"
                   r"|(?<![\w])[A-Za-z]:\\(?:[^\s\\\"'<>|;,()]+\\)+")


def scrub_paths(text: Any) -> Any:
    """``text`` with every local folder prefix removed (``/home/x/data/a.csv`` -> ``a.csv``); URLs keep theirs."""
    if not isinstance(text, str) or "/" not in text and "\\" not in text:
        return text
    out = []
    pos = 0
    for m in _PATH.finditer(text):
        start = m.start()
        if _in_url(text, start):
            continue
        out.append(text[pos:start])
        pos = m.end()
        if pos >= len(text) or text[pos] in " )(;,":  # a bare folder: keep its own name
            out.append(m.group(0).rstrip("/\\").rsplit("/", 1)[-1].rsplit("\\", 1)[-1] + "/")
    out.append(text[pos:])
    return "".join(out)


def _in_url(text: str, start: int) -> bool:
    word_start = max(text.rfind(" ", 0, start), text.rfind("(", 0, start)) + 1
    return "://" in text[word_start:start + 3]


def scrub_tree(value: Any) -> Any:
    """:func:`scrub_paths` over every string of a JSON-like value (keys kept)."""
    if isinstance(value, str):
        return scrub_paths(value)
    if isinstance(value, dict):
        return {k: scrub_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_tree(v) for v in value]
    return value


def public_text(value: Any) -> Any:
    """Text fit for a published report: no local path, no citation of a document the reader does not have."""
    value = scrub_tree(value)
    if isinstance(value, str):
        return cite_inline(value)
    if isinstance(value, dict):
        return {k: public_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [public_text(v) for v in value]
    return value


def public_snapshot(s: Snapshot | dict[str, Any]) -> dict[str, Any]:
    """A snapshot's provenance block without local paths (source_ref and filter name files only)."""
    d = s.as_dict() if isinstance(s, Snapshot) else dict(s)
    return scrub_tree(d)


def describe_scope(s: Snapshot | dict[str, Any]) -> str:
    """'full census', 'partial: author=Qwen', 'partial: tree google/gemma-7b', 'partial (a slice)'."""
    d = s.as_dict() if isinstance(s, Snapshot) else s
    scope = d.get("scope")
    if scope is None:  # a store written before snapshots had a scope
        return "complete" if d.get("complete") else "partial"
    if scope == "full":
        return "full census"
    flt = d.get("filter")
    if isinstance(flt, str):
        try:
            flt = json.loads(flt)
        except ValueError:
            flt = {"filter": flt}
    if not isinstance(flt, dict) or not flt:
        return f"{scope} (no filter recorded)"
    parts = []
    for k, v in flt.items():
        if v in (None, "", []):
            continue
        if k in ("tree_roots", "tree_root"):
            roots = v if isinstance(v, list) else [v]
            shown = ", ".join(map(str, roots[:3])) + (f" +{len(roots) - 3}" if len(roots) > 3 else "")
            parts.append(f"tree{'s' if len(roots) > 1 else ''} {shown}")
        elif k in ("file", "source_ref", "files"):
            parts.append(f"file {scrub_paths(str(v if not isinstance(v, list) else v[0]))}"
                         + (f" +{len(v) - 1}" if isinstance(v, list) and len(v) > 1 else ""))
        else:
            parts.append(f"{k}={scrub_paths(str(v))}")
    return f"{scope}: {'; '.join(parts)}" if parts else f"{scope} (no filter recorded)"
