"""The one date parser behind --since, --observed-at and dates found in files."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from modelcensus.dates import parse_when
from modelcensus.errors import InputError


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-04-22", datetime(2025, 4, 22, tzinfo=UTC)),
    ("2025-04-22T18:04:48Z", datetime(2025, 4, 22, 18, 4, 48, tzinfo=UTC)),
    ("2025-04-22T20:04:48+02:00", datetime(2025, 4, 22, 18, 4, 48, tzinfo=UTC)),
    (date(2025, 4, 22), datetime(2025, 4, 22, tzinfo=UTC)),
])
def test_reads_dates_as_utc(text, expected):
    assert parse_when(text, "--since") == expected


def test_month_only_when_allowed():
    assert parse_when("2025-04", "--since", month_ok=True) == datetime(2025, 4, 1, tzinfo=UTC)
    with pytest.raises(InputError, match="--since '2025-04'"):
        parse_when("2025-04", "--since")


@pytest.mark.parametrize("bad", ["yesterday", "2025-13-01", "1999-12-31", "'; DROP TABLE models"])
def test_bad_values_name_the_option(bad):
    with pytest.raises(InputError, match="--observed-at"):
        parse_when(bad, "--observed-at")


def test_future_is_refused_beyond_the_slack():
    tomorrow_noon = datetime.now(UTC) + timedelta(hours=12)
    assert parse_when(tomorrow_noon, "--observed-at") == tomorrow_noon
    with pytest.raises(InputError, match="future"):
        parse_when(tomorrow_noon, "--since", future_slack=timedelta(0))


def test_empty_is_none():
    assert parse_when("", "--since") is None
    assert parse_when(None, "--since") is None
