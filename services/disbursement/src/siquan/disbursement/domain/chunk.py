"""A chunk of a run: the payments one payer instructs and records together (several
thousand), each with the obstacle `payable.PAYABLE` found right before the bank, and what
became of each. Rows stay plain tuples: a province's run has a million of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from siquan.disbursement.domain.payment import remittance
from siquan.disbursement.domain.roster import payment_label

FinalStatus = Literal["settled", "failed", "cancelled"]


class ChunkPayment(NamedTuple):
    payment_id: str
    person_key: str
    certification_id: str
    period: str
    item: str
    amount_fen: int
    bank_code: str
    account_number: str
    instruction_key: str
    """What the bank pays it once under (`payment.instruction_key`)."""
    obstacle: str | None
    """Why `PAYABLE` refuses it now (it is cancelled, not sent); None: send it."""
    account_name: str = ""
    """The holder's name registered with the account paid (户名), for the bank's file."""

    def remittance(self) -> str:
        return remittance(self.item, self.period, self.payment_id)

    def label(self, run_period: str) -> str:
        """`benefit`, `arrears:<period>` for an earlier period the run pays, or the
        item itself when it is not the benefit (a top-up)."""
        return payment_label(self.period, self.period != run_period, self.item)


class Outcome(NamedTuple):
    """A payment's final result."""

    status: FinalStatus
    reason: str = ""
    bank_reference: str | None = None
    transferred_as: str | None = None
    """Settled by a transfer the bank had made earlier under this payment id (the same
    instruction key): no money moved for this payment."""


@dataclass(frozen=True)
class Chunk:
    run_id: str
    number: int
    payments: Sequence[ChunkPayment]

    def batch(self, tag: str) -> str:
        """The bank batch of one attempt at this chunk: a chunk sent again after a crash
        is another batch (the bank answers each payment id once, whatever carries it)."""
        return f"{self.run_id}-{self.number}-{tag}"

    @property
    def payment_ids(self) -> list[str]:
        return [p.payment_id for p in self.payments]
