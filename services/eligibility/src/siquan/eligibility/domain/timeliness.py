"""Timeliness of certification (资格确认及时率): of the applications decided in a period,
the share decided within the deadline counted from submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from siquan.contracts.periods import frequency_of, period_bounds
from siquan.contracts.types import validate_period


@dataclass(frozen=True)
class Timeliness:
    division_code: str
    decided: int
    within_deadline: int

    @property
    def rate(self) -> float | None:
        """Share in [0, 1], rounded to four places; None when nothing was decided."""
        return round(self.within_deadline / self.decided, 4) if self.decided else None


def month_bounds(period: str) -> tuple[date, date]:
    """`2026-11` → (2026-11-01, 2026-12-01): the half-open month (the contracts' period
    calendar); ValueError for anything but a month."""
    validate_period(period)
    if frequency_of(period) != "monthly":
        raise ValueError(f"{period} is not a month")
    first, last = period_bounds(period)
    return first, last + timedelta(days=1)
