"""Disbursement's view of a certification: who is owed under which program and category,
from when, until when (a revocation or lapse), and whether the person died or the
certification is suspended.

Rules (`payable.py` holds them): a certification is in force for a period when it starts
on or before the period's last day, no revocation ended it before the period's first day,
and the person did not die before it (a death ends everything from the first day of the
month after it). A suspension stops payment until reinstatement; a period it covered
entirely is not owed at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from siquan.contracts.periods import first_day_of_next_month, period_bounds
from siquan.disbursement.domain.payable import IN_FORCE, PaymentFacts

Suspension = tuple[date, date | None]
"""(suspended from, reinstated from; None while suspended)."""


@dataclass(frozen=True)
class Certification:
    id: str
    person_key: str
    program_code: str
    category: str
    division_code: str
    effective_from: date
    effective_until: date | None = None  # first day a revocation or lapse ends it
    benefits_end: date | None = None  # first day nothing is owed after the person's death
    suspensions: tuple[Suspension, ...] = ()
    household_key: str | None = None
    """The household (户) the person is a registered member of, when eligibility knows."""

    @property
    def suspended(self) -> bool:
        return any(until is None for _, until in self.suspensions)

    def facts(self, period: str, *, held: bool = False, has_account: bool = False,
              account_unconfirmed: bool = False, paid: bool = False,
              allocated: bool = False) -> PaymentFacts:
        """The facts `payable.PAYABLE` weighs for paying this certification for `period`."""
        return PaymentFacts(period, certified_from=self.effective_from,
                            certified_until=self.effective_until,
                            benefits_end=self.benefits_end, held=held,
                            suspended=self.suspended, has_account=has_account,
                            account_unconfirmed=account_unconfirmed, allocated=allocated, paid=paid)

    def active_in(self, period: str) -> bool:
        """In force for the period (`IN_FORCE`)."""
        return IN_FORCE.allows(self.facts(period))

    def owed_in(self, period: str) -> bool:
        """In force for the period and not suspended for the whole of it."""
        start, end = period_bounds(period)
        return self.active_in(period) and not any(
            since <= start and (until is None or until > end)
            for since, until in self.suspensions)


def open_suspensions(suspended: list[date], reinstated: list[date]) -> tuple[Suspension, ...]:
    """Suspensions as intervals, whatever order their decisions arrived in: each ends at the
    first reinstatement on or after it."""
    return tuple((since, min((r for r in reinstated if r >= since), default=None))
                 for since in sorted(suspended))


def benefits_end_after_death(date_of_death: date) -> date:
    """The first day nothing is owed to a person who died on `date_of_death`."""
    return first_day_of_next_month(date_of_death)
