"""Disbursement's view of a certification: who is owed under which program and category,
from when, and until when (revocation or death, whichever ends it first).

Rule: a certification is active for a period when it starts on or before the period's last
day and has not ended before the period's first day. A death ends every certification of
the person from the first day of the month after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from siquan.disbursement.domain.periods import first_day_of_next_month, period_bounds


@dataclass(frozen=True)
class Certification:
    id: str
    person_key: str
    program_code: str
    category: str
    division_code: str
    effective_from: date
    effective_until: date | None = None  # first day nothing is owed any more

    def active_in(self, period: str) -> bool:
        start, end = period_bounds(period)
        if self.effective_from > end:
            return False
        return self.effective_until is None or self.effective_until > start


def benefits_end_after_death(date_of_death: date) -> date:
    """The first day nothing is owed to a person who died on `date_of_death`."""
    return first_day_of_next_month(date_of_death)
