"""The days a benefit period covers: its first day (from the policy module) and its last.

A month covers its days; a year and a one-off (numbered within a year) cover the calendar
year; semester S1 runs March to August and S2 September to the end of February.
"""

from __future__ import annotations

import calendar
from datetime import date

from siquan.contracts.policy import period_start


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


def period_bounds(period: str) -> tuple[date, date]:
    return period_start(period), period_end(period)


def first_day_of_next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
