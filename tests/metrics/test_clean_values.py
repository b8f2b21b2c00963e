"""A metric's cells print the same whatever order a parallel sum added its terms in (review25 R25-8: a licence
drift count was 599 in one run and 599.0 in another)."""

from __future__ import annotations

import math

import pytest

from modelcensus.metrics.result import clean_value


@pytest.mark.parametrize(("value", "expected"), [
    (599.0, 599), (598.9999999999999, 599), (599.0000000000001, 599),  # one figure, three summation orders
    (sum([1 / 3] * 3), 1), (0.1 + 0.2, 0.3), (2.5, 2.5), (-0.0, 0), (1e20, 1e20),
    (float("nan"), None), (math.inf, None),
])
def test_integral_figures_print_as_integers_whatever_the_summation_order(value, expected) -> None:
    out = clean_value(value)
    assert out == expected and type(out) is type(expected)


def test_shares_of_a_third_added_in_any_order_give_one_cell() -> None:
    thirds = [1 / 3, 1 / 3, 1 / 3, 2 / 3, 1 / 6, 1 / 6]
    sums = {clean_value(sum(thirds[i:] + thirds[:i])) for i in range(len(thirds))}
    sums |= {clean_value(sum(reversed(thirds[i:] + thirds[:i]))) for i in range(len(thirds))}
    assert sums == {2}
