"""The query files add fractional figures with ``fsum`` (DuckDB's compensated sum), never a plain ``sum``.

A plain ``sum`` of 2.2M credit weights gave a different last digit on each run (DuckDB's threads add in no fixed
order): two builds of one store stored different coverage figures, and two reports of one store printed 20
figures differently. ``fsum`` gave the same on every run (benchmarks/RESULTS.md). A plain ``sum`` stays only over
whole numbers, where it is exact: each is listed here with what it adds up, so a new one is a decision.
"""

from __future__ import annotations

import re
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
}
_PLAIN_SUM = re.compile(r"(?<![\w.])sum\(([^()]*(?:\([^()]*\)[^()]*)*)\)", re.I)


def _plain_sums() -> set[tuple[str, str]]:
    found = set()
    for path in sorted(SRC.rglob("*.sql")):
        for line in path.read_text(encoding="utf-8").splitlines():
            code = line.split("--", 1)[0]
            found |= {(path.relative_to(SRC).as_posix(), m.group(1).strip()) for m in _PLAIN_SUM.finditer(code)}
    return found


def test_plain_sums_are_over_whole_numbers_only() -> None:
    assert _plain_sums() == WHOLE_SUMS


def test_the_pattern_finds_a_plain_sum_and_leaves_fsum() -> None:
    line = "SELECT fsum(w), sum(coalesce(x, 0)) OVER (), list_sum(l), t.sum(y) FROM t"
    assert [m.group(1) for m in _PLAIN_SUM.finditer(line)] == ["coalesce(x, 0)"]
