"""The days a benefit period covers: its first day (from the policy module) and its last.

A month covers its days; a year and a one-off (numbered within a year) cover the calendar
year; semester S1 runs March to August and S2 September to the end of February.
"""

from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache

from siquan.contracts.periods import period_start


@lru_cache(maxsize=4096)
def period_end(period: str) -> date:
    """Last day of a period string (YYYY, YYYY-MM, YYYY-S1/S2, YYYY-O<n>)."""
    year, rest = int(period[:4]), period[5:]
    if not rest or rest.startswith("O"):
        return date(year, 12, 31)
    if rest == "S1":
        return date(year, 8, 31)
    if rest == "S2":
        return date(year + 1, 2, calendar.monthrange(year + 1, 2)[1])
    month = int(rest)
    return date(year, month, calendar.monthrange(year, month)[1])


@lru_cache(maxsize=4096)
def period_bounds(period: str) -> tuple[date, date]:
    return period_start(period), period_end(period)


def first_day_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def previous_period(period: str) -> str | None:
    """The period of the same kind right before `period`; None for a one-off."""
    year, rest = int(period[:4]), period[5:]
    if not rest:
        return f"{year - 1:04d}"
    if rest.startswith("O"):
        return None
    if rest == "S1":
        return f"{year - 1:04d}-S2"
    if rest == "S2":
        return f"{year:04d}-S1"
    month = int(rest)
    return f"{year - 1:04d}-12" if month == 1 else f"{year:04d}-{month - 1:02d}"


def periods_between(since: str, period: str, limit: int) -> list[str]:
    """Periods of `period`'s kind from `since` (inclusive) to `period` (exclusive), at most
    the `limit` latest ones, oldest first."""
    found: list[str] = []
    cursor = previous_period(period)
    floor = period_start(since)
    while cursor is not None and len(found) < limit and period_start(cursor) >= floor:
        found.append(cursor)
        cursor = previous_period(cursor)
    return found[::-1]
