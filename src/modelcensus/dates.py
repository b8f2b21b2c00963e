"""Dates given by users or found in files: one parser, so every option reads them alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from modelcensus.errors import InputError


def parse_when(value: Any, what: str, *, month_ok: bool = False, future_slack: timedelta | None = timedelta(days=1),
               min_year: int = 2000) -> datetime | None:
    """An ISO date or datetime (naive = UTC; ``YYYY-MM`` when ``month_ok``) -> aware UTC datetime.

    ``None``/empty gives ``None``; anything unreadable, in the future (beyond ``future_slack``) or
    before ``min_year`` raises :class:`InputError` naming ``what`` (an option or a file field).
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        ts = value
    elif isinstance(value, date):
        ts = datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        if month_ok and len(text) == 7:
            text += "-01"
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            ts = datetime.fromisoformat(text)
        except ValueError:
            raise InputError(f"{what} {value!r}: expected an ISO date or datetime such as 2025-04-22 "
                             "or 2025-04-22T18:04:48Z") from None
    try:
        ts = ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-01:00 is past the last instant there is (review29 R29-2: exit 3)
        raise InputError(f"{what} {value!r}: outside years 1 to 9999 once read in UTC") from None
    if future_slack is not None and ts > datetime.now(UTC) + future_slack:
        raise InputError(f"{what} {value!r}: lies in the future")
    if ts.year < min_year:
        raise InputError(f"{what} {value!r}: before {min_year}, not a plausible Hub date")
    return ts
