"""The bank, as disbursement needs it: instruct payments and ask what became of them.

A bank keys every instruction by its end-to-end reference (our payment id) and answers a
repeated instruction with the result it recorded the first time, so re-sending after a
crash never transfers twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol


@dataclass(frozen=True)
class PaymentInstruction:
    payment_id: str
    bank_code: str
    account_number: str
    amount_fen: int
    remittance: str


@dataclass(frozen=True)
class BankResult:
    payment_id: str
    outcome: Literal["settled", "failed"]
    bank_reference: str | None
    reason: str


class Bank(Protocol):
    async def open(self) -> None:
        """Connect (and prepare whatever the bank needs)."""

    async def close(self) -> None: ...

    async def instruct(self, instructions: Sequence[PaymentInstruction]) -> list[BankResult]:
        """Pay each instruction once; a repeated payment id gets its recorded result."""

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        """Results the bank already recorded for any of these payment ids."""
