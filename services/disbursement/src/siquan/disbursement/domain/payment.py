"""One payment of a run, as it stands right before the bank is instructed.

The re-check (`recheck`) uses the same rules as the roster: a certification that ended or a
hold placed since the run started cancels the payment instead of paying it; and
`PaidOncePerPeriod` is checked again: another payment of the same (person, program,
period, item) already settled cancels it (the unique index makes that impossible; the
check says so once more right before the bank). It works on the plain facts the claim
read, as a run's chunk re-checks thousands of payments at once.
"""

from __future__ import annotations

from datetime import date

from siquan.disbursement.domain.certification import active_between
from siquan.disbursement.domain.roster import ALREADY_PAID, NOT_ACTIVE, ON_HOLD


def recheck(period: str, effective_from: date | None, effective_until: date | None, *,
            held: bool, paid_elsewhere: bool) -> str | None:
    """Why a pending payment for `period` must be cancelled now, or None to pay it.
    `effective_from` is None when no certification backs the payment any more."""
    if paid_elsewhere:
        return ALREADY_PAID
    if effective_from is None or not active_between(effective_from, effective_until, period):
        return NOT_ACTIVE
    if held:
        return ON_HOLD
    return None


def remittance(item: str, period: str, payment_id: str) -> str:
    """What the payee's bank statement shows; no personal data."""
    return f"siquan {item} {period} {payment_id}"
