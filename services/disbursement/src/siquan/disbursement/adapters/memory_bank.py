"""An in-memory bank for unit tests: pays every instruction once by payment id, refuses the
accounts it is told to, answers repeated payment ids with what it recorded, and can be
made to take a batch without answering (`BankUnavailable`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from siquan.disbursement.application.ports import (
    BankResult,
    BankReturn,
    BankUnavailable,
    PaymentInstruction,
)


class MemoryBank:
    def __init__(self, *, refused_accounts: Sequence[str] = ()) -> None:
        self.refused_accounts = set(refused_accounts)
        self.recorded: dict[str, BankResult] = {}
        self.batches: list[tuple[str, list[PaymentInstruction]]] = []
        self.returned: list[BankReturn] = []
        self.silent = False
        """Record the next batch but answer nothing (a timeout at the bank's front end)."""

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        self.batches.append((batch, list(instructions)))
        for i in instructions:
            if i.payment_id not in self.recorded:
                self.recorded[i.payment_id] = self._decide(i)
        if self.silent:
            self.silent = False
            raise BankUnavailable(f"batch {batch}: no answer")
        return [self.recorded[i.payment_id] for i in instructions]

    def _decide(self, i: PaymentInstruction) -> BankResult:
        if i.account_number in self.refused_accounts:
            return BankResult(i.payment_id, "failed", None, "invalid account")
        return BankResult(i.payment_id, "settled", f"MEM{i.payment_id[-12:]}", "")

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        return [self.recorded[p] for p in payment_ids if p in self.recorded]

    async def returns(self, after: date, through: date) -> list[BankReturn]:
        return [r for r in self.returned if after < r.returned_on <= through]

    def paid(self) -> list[str]:
        """Payment ids the bank settled."""
        return [p for p, r in self.recorded.items() if r.outcome == "settled"]
