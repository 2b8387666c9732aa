"""Disbursement's view of a certification: who is owed under which program and category,
from when, and until when (revocation or death, whichever ends it first).

Rule: a certification is active for a period when it starts on or before the period's last
day and has not ended before the period's first day. A death ends every certification of
the person from the first day of the month after it. A suspension stops payment until
reinstatement (a hold); a period it covered entirely is not owed at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from siquan.contracts.periods import first_day_of_next_month, period_bounds


@dataclass(frozen=True)
class Certification:
    id: str
    person_key: str
    program_code: str
    category: str
    division_code: str
    effective_from: date
    effective_until: date | None = None  # first day nothing is owed any more
    # (suspended from, reinstated from or None while suspended)
    suspensions: tuple[tuple[date, date | None], ...] = ()

    def active_in(self, period: str) -> bool:
        return active_between(self.effective_from, self.effective_until, period)

    def owed_in(self, period: str) -> bool:
        """Active for the period and not suspended for the whole of it."""
        start, end = period_bounds(period)
        return self.active_in(period) and not any(
            since <= start and (until is None or until > end)
            for since, until in self.suspensions)


def active_between(effective_from: date, effective_until: date | None, period: str) -> bool:
    """Starts on or before the period's last day and has not ended before its first."""
    start, end = period_bounds(period)
    return effective_from <= end and (effective_until is None or effective_until > start)


def benefits_end_after_death(date_of_death: date) -> date:
    """The first day nothing is owed to a person who died on `date_of_death`."""
    return first_day_of_next_month(date_of_death)
