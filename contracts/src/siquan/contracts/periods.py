"""The period calendar: the one place that knows what days a benefit period covers and how
periods follow each other. Every service derives its period arithmetic (and any SQL that
compares periods) from here.

A period is `YYYY` (a year), `YYYY-MM` (a month), `YYYY-S1`/`YYYY-S2` (a semester: S1 runs
March to August, S2 September to the end of February) or `YYYY-O<n>` (the n-th one-off of
a year, which covers the calendar year).
"""

from __future__ import annotations

import calendar
from datetime import date
from functools import lru_cache
from typing import Literal

Frequency = Literal["monthly", "yearly", "semester", "one_off"]


@lru_cache(maxsize=8192)
def period_start(period: str) -> date:
    """First day of a period."""
    year, rest = int(period[:4]), period[5:]
    if not rest or rest.startswith("O"):
        return date(year, 1, 1)
    if rest == "S1":
        return date(year, 3, 1)
    if rest == "S2":
        return date(year, 9, 1)
    return date(year, int(rest), 1)


@lru_cache(maxsize=8192)
def period_end(period: str) -> date:
    """Last day of a period."""
    year, rest = int(period[:4]), period[5:]
    if not rest or rest.startswith("O"):
        return date(year, 12, 31)
    if rest == "S1":
        return date(year, 8, 31)
    if rest == "S2":
        return date(year + 1, 2, calendar.monthrange(year + 1, 2)[1])
    month = int(rest)
    return date(year, month, calendar.monthrange(year, month)[1])


def period_bounds(period: str) -> tuple[date, date]:
    return period_start(period), period_end(period)


def frequency_of(period: str) -> Frequency:
    rest = period[5:]
    if not rest:
        return "yearly"
    if rest.startswith("O"):
        return "one_off"
    if rest in ("S1", "S2"):
        return "semester"
    return "monthly"


def period_matches(frequency: Frequency, period: str) -> bool:
    return frequency_of(period) == frequency


def period_of(frequency: Frequency, day: date) -> str:
    """The period of a frequency that contains a day (one-offs: the year's first, O1)."""
    if frequency == "monthly":
        return f"{day.year:04d}-{day.month:02d}"
    if frequency == "yearly":
        return f"{day.year:04d}"
    if frequency == "one_off":
        return f"{day.year:04d}-O1"
    if day.month < 3:
        return f"{day.year - 1:04d}-S2"
    return f"{day.year:04d}-{'S1' if day.month < 9 else 'S2'}"


def periods_of(frequency: Frequency | str, year: int) -> tuple[str, ...]:
    """The payment periods of a fiscal year for a frequency."""
    if frequency == "monthly":
        return tuple(f"{year:04d}-{month:02d}" for month in range(1, 13))
    if frequency == "yearly":
        return (f"{year:04d}",)
    if frequency == "semester":
        return (f"{year:04d}-S1", f"{year:04d}-S2")
    if frequency == "one_off":
        return (f"{year:04d}-O1",)
    raise ValueError(f"unknown payment frequency {frequency!r}")


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


def next_period(period: str) -> str | None:
    """The period of the same kind right after `period`; None for a one-off."""
    year, rest = int(period[:4]), period[5:]
    if not rest:
        return f"{year + 1:04d}"
    if rest.startswith("O"):
        return None
    if rest == "S1":
        return f"{year:04d}-S2"
    if rest == "S2":
        return f"{year + 1:04d}-S1"
    month = int(rest)
    return f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"


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


def first_day_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)

