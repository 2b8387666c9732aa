"""The special account (专户) of one program, fiscal year and division, and the four ways
money moves through it: appropriate, reserve, pay, release.

Each method checks its rule, posts one balanced transaction to the books and returns it,
so the caller can store exactly what the domain decided.
"""

from __future__ import annotations

from dataclasses import dataclass

from siquan.fund_custody.domain.errors import FundRuleBroken, InsufficientFunds
from siquan.fund_custody.domain.ledger import (
    AVAILABLE,
    PAID_OUT,
    Books,
    FiscalLevel,
    Transaction,
    appropriation_account,
    reserved_account,
)


@dataclass(frozen=True)
class AccountKey:
    program_code: str
    fiscal_year: int
    division_code: str


@dataclass
class SpecialAccount:
    id: str
    key: AccountKey
    books: Books

    def appropriate(self, appropriation_id: str, level: FiscalLevel,
                    amount_fen: int) -> Transaction:
        """A fiscal level pays money in; it becomes available."""
        if amount_fen <= 0:
            raise FundRuleBroken(f"an appropriation must be positive, not {amount_fen} fen")
        return self._post(Transaction.transfer("appropriation", appropriation_id,
                                               appropriation_account(level), AVAILABLE,
                                               amount_fen))

    def can_reserve(self, amount_fen: int) -> bool:
        return 0 <= amount_fen <= self.books.available_fen

    def shortfall(self, amount_fen: int) -> int:
        return max(amount_fen - self.books.available_fen, 0)

    def reserve(self, run_id: str, amount_fen: int) -> Transaction | None:
        """Hold a run's control total out of the available balance (None when it is 0)."""
        if amount_fen < 0:
            raise FundRuleBroken(f"a reservation cannot be negative ({amount_fen} fen)")
        if not self.can_reserve(amount_fen):
            raise InsufficientFunds(AVAILABLE, self.books.available_fen, amount_fen)
        if amount_fen == 0:
            return None
        return self._post(Transaction.transfer("reservation", run_id, AVAILABLE,
                                               reserved_account(run_id), amount_fen))

    def pay(self, run_id: str, reference: str, amount_fen: int) -> Transaction | None:
        """Money the bank settled for a run leaves its reservation; never more than held."""
        if amount_fen < 0:
            raise FundRuleBroken(f"a payment cannot be negative ({amount_fen} fen)")
        held = self.books.reserved_for(run_id)
        if amount_fen > held:
            raise InsufficientFunds(reserved_account(run_id), held, amount_fen)
        if amount_fen == 0:
            return None
        return self._post(Transaction.transfer("payment", reference, reserved_account(run_id),
                                               PAID_OUT, amount_fen))

    def release(self, run_id: str) -> Transaction | None:
        """What a run's reservation still holds goes back to available (None when empty)."""
        held = self.books.reserved_for(run_id)
        if held == 0:
            return None
        return self._post(Transaction.transfer("release", run_id, reserved_account(run_id),
                                               AVAILABLE, held))

    def _post(self, transaction: Transaction) -> Transaction:
        self.books.post(transaction)
        return transaction
