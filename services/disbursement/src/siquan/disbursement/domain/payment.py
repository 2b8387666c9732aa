"""One payment of a run, as it stands right before the bank is instructed.

The re-check uses the same rules as the roster (`payment_obstacle`): a certification that
ended or a hold placed since the run started cancels the payment instead of paying it.
"""

from __future__ import annotations

from dataclasses import dataclass

from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.roster import PayeeAccount, payment_obstacle


@dataclass(frozen=True)
class Payment:
    id: str
    run_id: str
    person_key: str
    certification_id: str
    period: str
    item: str
    amount_fen: int
    account: PayeeAccount

    @property
    def remittance(self) -> str:
        """What the payee's bank statement shows; no personal data."""
        return f"siquan {self.item} {self.period} {self.id}"


@dataclass(frozen=True)
class PaymentCheck:
    """A pending payment with what its payee's certification and holds say now."""

    payment: Payment
    certification: Certification | None
    held: bool

    def obstacle(self) -> str | None:
        return payment_obstacle(self.certification, self.held, self.payment.period)
