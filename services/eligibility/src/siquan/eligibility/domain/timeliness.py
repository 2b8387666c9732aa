"""Timeliness of certification (资格确认及时率): of the applications decided in a period,
the share decided within the deadline counted from submission."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


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
    """`2026-11` → (2026-11-01, 2026-12-01): the half-open month."""
    year, month = int(period[:4]), int(period[5:7])
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    return start, end
