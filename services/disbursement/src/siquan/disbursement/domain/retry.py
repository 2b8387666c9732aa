"""Retrying a run's failed and returned payments once their account is fixed.

Rule `RetryOnlyToACorrectedAccount`: a refused payment (failed at the bank, or settled and
returned later) is paid again, in the same period, for the same item and amount, only when
- `payable.PLANNABLE` allows it (nothing else pays the person for that period and item,
  the certification is still in force, no hold or suspension, an account);
- the person's current account differs from every account the bank refused or returned
  for that period.
Everything else stays unpaid, listed with the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.payable import PLANNABLE, PaymentFacts
from siquan.disbursement.domain.roster import BENEFIT, PayeeAccount, PlannedPayment, Skip

ACCOUNT_NOT_FIXED = "account not changed since the bank refused or returned the payment"


@dataclass(frozen=True)
class RefusedPayment:
    """A failed or returned payment, with what decides whether it may be retried now."""

    payment_id: str
    certification_id: str
    person_key: str
    period: str
    amount_fen: int
    certification: Certification | None
    held: bool
    current_account: PayeeAccount | None
    live_elsewhere: bool
    refused_to_current_account: bool
    account_registered_at: datetime | None = None
    account_previous_registered_at: datetime | None = None
    account_unconfirmed: bool = False
    """The current account is a change awaiting a second officer's confirmation."""
    item: str = BENEFIT

    def facts(self) -> PaymentFacts:
        has_account = self.current_account is not None
        if self.certification is None:
            return PaymentFacts(self.period, held=self.held, has_account=has_account,
                                account_unconfirmed=self.account_unconfirmed,
                                paid=self.live_elsewhere)
        return self.certification.facts(self.period, held=self.held, has_account=has_account,
                                        account_unconfirmed=self.account_unconfirmed,
                                        paid=self.live_elsewhere)

    def obstacle(self) -> str | None:
        obstacle = PLANNABLE.obstacle(self.facts())
        if obstacle is not None:
            return obstacle
        if self.refused_to_current_account:
            return ACCOUNT_NOT_FIXED
        return None


def plan_retry(refused: Iterable[RefusedPayment], run_period: str
               ) -> tuple[list[PlannedPayment], list[Skip]]:
    """New payments for the refused ones that may be retried; skips for the others."""
    payments: list[PlannedPayment] = []
    skipped: list[Skip] = []
    for payment in sorted(refused, key=lambda p: (p.person_key, p.period)):
        reason = payment.obstacle()
        if reason is not None:
            skipped.append(Skip(payment.person_key, payment.certification_id, reason))
            continue
        assert payment.current_account is not None and payment.certification is not None
        payments.append(PlannedPayment(
            payment.certification_id, payment.person_key, payment.period, payment.amount_fen,
            payment.current_account, arrear=payment.period != run_period,
            certified_from=payment.certification.effective_from, item=payment.item))
    return payments, skipped
