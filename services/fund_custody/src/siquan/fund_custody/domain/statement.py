"""The year-end statement (专项结算) of a special account, and the checks that it balances
to the fen against the ledger and against the runs' own records before it is produced.

    closing = opening + appropriations − payments + returns + recoveries

where the opening is the previous year's closing balance brought forward, payments are
what the bank settled (gross), returns what it sent back afterwards and recoveries what
overpaid beneficiaries paid back (追回). The closing balance is carried forward to the next
year's account.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from siquan.fund_custody.domain.errors import StatementDoesNotBalance
from siquan.fund_custody.domain.ledger import FiscalLevel
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount


@dataclass(frozen=True)
class RunRecords:
    """What the account's own records say apart from the ledger: its settled runs'
    reservations, settled chunks and releases, and the returned chunks booked into it."""

    runs_settled: int
    reserved_fen: int
    settled_chunks_fen: int
    released_fen: int
    returns_booked_fen: int


@dataclass(frozen=True)
class YearEndStatement:
    key: AccountKey
    opening_fen: int
    appropriated: Mapping[FiscalLevel, int]
    paid_fen: int
    returned_fen: int
    closing_fen: int
    runs_settled: int
    reserved_fen: int
    released_fen: int
    recovered_fen: int = 0

    @property
    def appropriated_total_fen(self) -> int:
        return sum(self.appropriated.values())

    @property
    def net_paid_fen(self) -> int:
        return self.paid_fen - self.returned_fen

    @classmethod
    def of(cls, account: SpecialAccount, records: RunRecords) -> YearEndStatement:
        """The statement of an open account whose runs are all settled; refused unless
        every figure agrees with the ledger and the run records to the fen."""
        books = account.books
        statement = cls(
            key=account.key, opening_fen=books.brought_forward_fen,
            appropriated=books.appropriated_fen(), paid_fen=books.paid_out_fen,
            returned_fen=books.returned_fen, closing_fen=books.available_fen,
            runs_settled=records.runs_settled, reserved_fen=records.reserved_fen,
            released_fen=records.released_fen, recovered_fen=books.recovered_fen)
        statement._check(account, records)
        return statement

    def _check(self, account: SpecialAccount, records: RunRecords) -> None:
        books = account.books
        expected = (self.opening_fen + self.appropriated_total_fen - self.paid_fen
                    + self.returned_fen + self.recovered_fen)
        failures = [
            (books.is_balanced(), "the ledger's balances do not sum to zero"),
            (books.reserved_fen == 0, f"{books.reserved_fen} fen is still reserved"),
            (books.carried_forward_fen == 0, "the year was already carried forward"),
            (expected == self.closing_fen,
             f"opening + appropriations - payments + returns + recoveries = {expected} "
             "fen, but "
             f"{self.closing_fen} fen is available"),
            (self.paid_fen == records.settled_chunks_fen,
             f"paid out {self.paid_fen} fen, but the settled chunks add up to "
             f"{records.settled_chunks_fen} fen"),
            (self.returned_fen == records.returns_booked_fen,
             f"returned {self.returned_fen} fen, but the returned chunks booked here add up "
             f"to {records.returns_booked_fen} fen"),
            (records.reserved_fen == records.settled_chunks_fen + records.released_fen,
             f"runs reserved {records.reserved_fen} fen but paid "
             f"{records.settled_chunks_fen} and released {records.released_fen} fen"),
        ]
        broken = [why for ok, why in failures if not ok]
        if broken:
            raise StatementDoesNotBalance(f"{account.key}: " + "; ".join(broken))
