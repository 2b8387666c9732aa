"""An in-memory bank for unit tests: pays every instruction once by payment id and by
instruction key, refuses the accounts it is told to, answers repeated payment ids (and a
new payment id under a key it holds) with what it recorded, and can be made to take a batch
without answering (`BankUnavailable`) or to answer the payments to some accounts otherwise
than instructed (`PaymentsDisputed`, until they are taken off `misstated`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from siquan.disbursement.application.ports import (
    BankResult,
    BankReturn,
    BankUnavailable,
    PaymentInstruction,
    PaymentsDisputed,
)


class MemoryBank:
    def __init__(self, *, refused_accounts: Sequence[str] = ()) -> None:
        self.refused_accounts = set(refused_accounts)
        self.recorded: dict[str, BankResult] = {}
        self.by_key: dict[str, BankResult] = {}
        self.transfers: list[PaymentInstruction] = []
        """What it decided on (paid or refused), once each."""
        self.batches: list[tuple[str, list[PaymentInstruction]]] = []
        self.returned: list[BankReturn] = []
        self.silent = False
        """Record the next batch but answer nothing (a timeout at the bank's front end)."""
        self.misstated: set[str] = set()
        """Accounts whose payments it pays as instructed but answers otherwise (in dispute
        until the account is taken off)."""
        self._accounts: dict[str, str] = {}

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        self.batches.append((batch, list(instructions)))
        self._accounts.update((i.payment_id, i.account_number) for i in instructions)
        for i in instructions:
            if i.payment_id in self.recorded:
                continue
            if i.instruction_key and i.instruction_key in self.by_key:
                earlier = self.by_key[i.instruction_key]  # moves no money: transferred
                self.recorded[i.payment_id] = earlier._replace(
                    payment_id=i.payment_id, transferred_as=earlier.payment_id)
                continue
            self.recorded[i.payment_id] = self._decide(i)
            self.transfers.append(i)
            if i.instruction_key:
                self.by_key[i.instruction_key] = self.recorded[i.payment_id]
        if self.silent:
            self.silent = False
            raise BankUnavailable(f"batch {batch}: no answer")
        return self._answered([i.payment_id for i in instructions])

    def _answered(self, payment_ids: Sequence[str]) -> list[BankResult]:
        found = [self.recorded[p] for p in payment_ids if p in self.recorded]
        held = {r.payment_id for r in found
                if self._accounts.get(r.payment_id) in self.misstated}
        if held:
            raise PaymentsDisputed(f"{len(held)} payments answered otherwise", held,
                                   [r for r in found if r.payment_id not in held])
        return found

    def _decide(self, i: PaymentInstruction) -> BankResult:
        if i.account_number in self.refused_accounts:
            return BankResult(i.payment_id, "failed", None, "invalid account")
        return BankResult(i.payment_id, "settled", f"MEM{i.payment_id[-12:]}", "")

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        return self._answered(payment_ids)

    async def returns(self, after: date, through: date) -> list[BankReturn]:
        return [r for r in self.returned if after < r.returned_on <= through]

    def paid(self) -> list[str]:
        """Payment ids the bank settled."""
        return [p for p, r in self.recorded.items() if r.outcome == "settled"]
