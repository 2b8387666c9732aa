"""The bank, as disbursement needs it: instruct a batch of payments, ask what became of
them, and hear of settled payments it returned later.

A bank keys every instruction by its end-to-end reference (our payment id) and answers a
repeated instruction with the result it recorded the first time, so re-sending after a
crash or a timeout never transfers twice. It also pays each instruction key once (derived
from the payable amount, not drawn: `payment.instruction_key`): an instruction under a key
it already recorded, whatever its payment id, is answered with the transfer recorded under
that key and moves no money (`BankResult.transferred_as` names the payment id the transfer
was made under), so a run lost in a restore of disbursement's database and started again
pays nobody twice, and fund custody books its money once. Two adapters:
`adapters/simulated_bank.py` (its own database) and `adapters/batch_file_bank.py`
(instruction and result files, as a county exchanges them with its bank: the files cannot
say that a result is an earlier transfer). Instructions, results and returns are plain tuples:
a chunk carries thousands of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Literal, NamedTuple, Protocol


class BankUnavailable(Exception):
    """The bank did not answer in time: what it did with the batch is unknown until asked."""


class PaymentsDisputed(BankUnavailable):
    """The bank answered some of the payments asked about otherwise than instructed (`held`:
    in dispute until it answers them again as instructed) and the others as instructed
    (`answered`). A caller that cannot keep the two apart treats it as the bank not
    answering."""

    def __init__(self, message: str, held: Iterable[str], answered: Iterable[BankResult]
                 ) -> None:
        super().__init__(message)
        self.held, self.answered = frozenset(held), list(answered)


class PaymentInstruction(NamedTuple):
    payment_id: str
    bank_code: str
    account_number: str
    amount_fen: int
    remittance: str
    account_name: str = ""
    """The account holder's name (户名) where the bank's file has a field for it."""
    instruction_key: str = ""
    """What the bank pays once, whatever payment id carries it (`payment.instruction_key`:
    the payable amount, so a run started again after a restore of disbursement is not paid
    twice); empty: the payment id alone."""


class BankResult(NamedTuple):
    payment_id: str
    outcome: Literal["settled", "failed"]
    bank_reference: str | None
    reason: str
    transferred_as: str | None = None
    """The payment id of the instruction the bank recorded this transfer under, when it is
    not `payment_id`: a transfer made earlier under the same instruction key, answered
    again and moving no money now. None: the bank decided on this payment id itself (or
    cannot say otherwise)."""


class BankReturn(NamedTuple):
    """A settled payment the bank sent back (account closed, holder deceased, ...)."""

    payment_id: str
    bank_reference: str
    amount_fen: int
    reason: str
    returned_on: date


class Bank(Protocol):
    async def open(self) -> None:
        """Connect (and prepare whatever the bank needs)."""

    async def close(self) -> None: ...

    async def instruct(self, batch: str, instructions: Sequence[PaymentInstruction]
                       ) -> list[BankResult]:
        """Pay each instruction once; a repeated payment id gets its recorded result, and
        so does a payment id under an instruction key already recorded. Raises
        `BankUnavailable` when no answer came back."""

    async def results(self, payment_ids: Sequence[str]) -> list[BankResult]:
        """Results the bank already recorded for any of these payment ids."""

    async def returns(self, after: date, through: date) -> list[BankReturn]:
        """Payments returned on a day after `after` and up to `through` (inclusive)."""
