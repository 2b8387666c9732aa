"""An allocation: the money a payment run may spend, and what became of it.

waiting → approved → settled, or waiting → cancelled when a run that was never funded
completes without paying anything. Paid can never exceed the reserved total, and a run
settles only when the chunks it reported add up to what it says it settled.

`paid_fen` is what the bank settled (gross), not counting a payment it answered with a
transfer made earlier under another payment id (no money moved for it). A payment the bank
returns later comes back into the account and counts in `returned_fen`, never more than was
paid; so for every settled run: reserved = net paid + returned + released, net paid = paid
− returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from siquan.fund_custody.domain.errors import FundRuleBroken
from siquan.fund_custody.domain.special_account import AccountKey

Status = Literal["waiting", "approved", "settled", "cancelled"]


@dataclass
class Allocation:
    id: str
    run_id: str
    special_account_id: str
    key: AccountKey
    period: str
    payee_count: int
    total_fen: int
    requested_at: datetime
    status: Status = "waiting"
    paid_fen: int = 0
    released_fen: int = 0
    returned_fen: int = 0
    approved_at: datetime | None = None
    settled_at: datetime | None = None

    @property
    def reserved_fen(self) -> int:
        """What the allocation holds or held: the total once approved, else nothing."""
        return self.total_fen if self.status in ("approved", "settled") else 0

    @property
    def net_paid_fen(self) -> int:
        """What stayed with the beneficiaries: settled minus returned."""
        return self.paid_fen - self.returned_fen

    def approve(self, at: datetime) -> None:
        if self.status != "waiting":
            raise FundRuleBroken(f"allocation for run {self.run_id} is {self.status}, "
                                 "only a waiting one can be approved")
        self.status, self.approved_at = "approved", at

    def record_paid(self, amount_fen: int) -> None:
        if self.status != "approved":
            raise FundRuleBroken(f"run {self.run_id} is {self.status}: nothing is reserved "
                                 "to pay from")
        if self.paid_fen + amount_fen > self.total_fen:
            raise FundRuleBroken(f"run {self.run_id} would pay {self.paid_fen + amount_fen} "
                                 f"fen out of {self.total_fen} fen reserved")
        self.paid_fen += amount_fen

    def record_returned(self, amount_fen: int) -> None:
        """The bank sent back part of what it settled for this run."""
        if self.status not in ("approved", "settled"):
            raise FundRuleBroken(f"run {self.run_id} is {self.status}: it paid nothing that "
                                 "could come back")
        if amount_fen < 0 or self.returned_fen + amount_fen > self.paid_fen:
            raise FundRuleBroken(f"run {self.run_id} would have {self.returned_fen + amount_fen}"
                                 f" fen returned out of {self.paid_fen} fen paid")
        self.returned_fen += amount_fen

    def settle(self, reported_settled_fen: int, chunk_total_fen: int, at: datetime, *,
               transferred_earlier_fen: int = 0) -> int:
        """Close the run; returns what goes back to the available balance. The run reports
        everything the bank settled for it; `transferred_earlier_fen` of that the bank had
        transferred earlier, under other payment ids (no money moved for it now): the
        chunks paid out the rest."""
        moved = reported_settled_fen - transferred_earlier_fen
        if moved != chunk_total_fen or chunk_total_fen != self.paid_fen:
            raise FundRuleBroken(
                f"run {self.run_id} reports {reported_settled_fen} fen settled "
                f"({transferred_earlier_fen} fen by earlier transfers) but its chunks add "
                f"up to {chunk_total_fen} fen ({self.paid_fen} fen paid)")
        if self.status == "waiting" and reported_settled_fen == 0:
            self.status, self.settled_at = "cancelled", at
            return 0
        if self.status != "approved":
            raise FundRuleBroken(f"run {self.run_id} is {self.status} and cannot be settled")
        self.released_fen = self.total_fen - self.paid_fen
        self.status, self.settled_at = "settled", at
        return self.released_fen
