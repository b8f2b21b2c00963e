"""The query files (and the SQL in Python modules) add fractional figures with ``fsum`` (DuckDB's compensated
sum), never a plain ``sum``.

A plain ``sum`` of 2.2M credit weights gave a different last digit on each run (DuckDB's threads add in no fixed
order): two builds of one store stored different coverage figures, and two reports of one store printed 14-20
figures differently. ``fsum`` gave the same on every run (benchmarks/RESULTS.md). A plain ``sum`` stays only over
whole numbers, where it is exact: each is listed here with what it adds up, so a new one is a decision.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import modelcensus

SRC = Path(modelcensus.__file__).parent

# (file, the summed expression): whole numbers only
WHOLE_SUMS = {
    ("metrics/sql/metric_intermediary_namespaces.sql", "coalesce(downloads, 0)"),  # a models row's download count
    ("metrics/sql/metric_sizes.sql", "coalesce(downloads, 0)"),
    ("metrics/sql/metric_sizes.sql", "models"),  # count(*)
    ("metrics/sql/metric_sizes.sql", "downloads"),  # the sum above
    ("metrics/sql/metric_sizes_monthly.sql", "models"),  # count(*)
    ("metrics/sql/report_model_movers.sql", "d"),  # a models row's 30-day downloads
    ("lineage/sql/lineage_build/stats.sql", "dl"),
    ("metrics/coverage.py", "present.d30"),  # a models row's 30-day downloads
    ("metrics/snapshot_folder.py", "CASE WHEN IS NULL THEN 1 ELSE 0 END"),  # a count (the f-string's field left out)
}
# sum, any case, a space allowed before its parenthesis; the argument may span lines and nest parentheses twice
_PLAIN_SUM = re.compile(r"(?<![\w.\"])sum\s*\(([^()]*(?:\((?:[^()]|\([^()]*\))*\)[^()]*)*)\)", re.I)


def _sql_texts() -> Iterator[tuple[str, str]]:
    """(file, SQL text): each query file, and each string in a Python module that reads as SQL (inline
    statements such as metrics/profiles.py's; f-strings with their literal parts joined)."""
    for path in sorted(SRC.rglob("*.sql")):
        yield path.relative_to(SRC).as_posix(), path.read_text(encoding="utf-8")
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if re.search(r"\bSELECT\b", text, re.I):
                yield path.relative_to(SRC).as_posix(), text


def _plain_sums() -> set[tuple[str, str]]:
    found = set()
    for name, text in _sql_texts():
        code = "\n".join(line.split("--", 1)[0] for line in text.splitlines())
        found |= {(name, re.sub(r"\s+", " ", m.group(1)).strip()) for m in _PLAIN_SUM.finditer(code)}
    return found


def test_plain_sums_are_over_whole_numbers_only() -> None:
    assert _plain_sums() == WHOLE_SUMS


def test_the_pattern_finds_a_plain_sum_and_leaves_fsum() -> None:
    """Review29: a space before the parenthesis, an argument over two lines and nested parentheses were missed."""
    text = ("SELECT fsum(w), sum(coalesce(x, 0)) OVER (), list_sum(l), t.sum(y), SUM (z), "
            "sum(coalesce(w,\n 1.0) * coalesce(abs(d), 0)) FROM t")
    assert [re.sub(r"\s+", " ", m.group(1)) for m in _PLAIN_SUM.finditer(text)] == \
        ["coalesce(x, 0)", "z", "coalesce(w, 1.0) * coalesce(abs(d), 0)"]
