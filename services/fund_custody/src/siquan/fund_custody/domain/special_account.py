"""The special account (专户) of one program, fiscal year and division, and the ways money
moves through it: appropriate, reserve, pay, release, take back a return, and at year end
carry the closing balance forward to the next year's account; receivables (追回) are
recognised, repaid, settled otherwise or written off — the last two also after the year
closed, as they move no money.

Each method checks its rule, posts one balanced transaction to the books and returns it,
so the caller can store exactly what the domain decided. Money leaves the account only
as a payment out of a run's reservation, or as the closing balance carried forward.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from siquan.fund_custody.domain.errors import AccountClosed, FundRuleBroken, InsufficientFunds
from siquan.fund_custody.domain.ledger import (
    AVAILABLE,
    BROUGHT_FORWARD,
    CARRIED_FORWARD,
    FISCAL_LEVELS,
    PAID_OUT,
    PRIOR_YEAR_RECOVERED,
    RETURNED,
    Books,
    Entry,
    FiscalLevel,
    Kind,
    Transaction,
    appropriation_account,
    overpaid_account,
    receivable_account,
    reserved_account,
)

LAST_FISCAL_YEAR = 2100
"""The last fiscal year a special account may have (the API's and the database's bound)."""


@dataclass(frozen=True)
class AccountKey:
    program_code: str
    fiscal_year: int
    division_code: str

    def __str__(self) -> str:
        return f"{self.program_code}/{self.fiscal_year}/{self.division_code}"


@dataclass
class SpecialAccount:
    id: str
    key: AccountKey
    books: Books
    closed: bool = False

    def appropriate(self, appropriation_id: str, level: FiscalLevel,
                    amount_fen: int) -> Transaction:
        """A fiscal level pays money in; it becomes available."""
        self._check_open()
        if amount_fen <= 0:
            raise FundRuleBroken(f"an appropriation must be positive, not {amount_fen} fen")
        return self._post(Transaction.transfer("appropriation", appropriation_id,
                                               appropriation_account(level), AVAILABLE,
                                               amount_fen))

    def can_reserve(self, amount_fen: int) -> bool:
        return not self.closed and 0 <= amount_fen <= self.books.available_fen

    def shortfall(self, amount_fen: int) -> int:
        return max(amount_fen - self.books.available_fen, 0)

    def reserve(self, run_id: str, amount_fen: int) -> Transaction | None:
        """Hold a run's control total out of the available balance (None when it is 0)."""
        self._check_open()
        if amount_fen < 0:
            raise FundRuleBroken(f"a reservation cannot be negative ({amount_fen} fen)")
        if not self.can_reserve(amount_fen):
            raise InsufficientFunds(AVAILABLE, self.books.available_fen, amount_fen)
        if amount_fen == 0:
            return None
        return self._post(Transaction.transfer("reservation", run_id, AVAILABLE,
                                               reserved_account(run_id), amount_fen,
                                               run_id=run_id))

    def pay(self, run_id: str, chunk: int, amount_fen: int) -> Transaction | None:
        """Money the bank settled for a run's chunk leaves its reservation; never more than
        the reservation holds."""
        if amount_fen < 0:
            raise FundRuleBroken(f"a payment cannot be negative ({amount_fen} fen)")
        held = self.books.reserved_for(run_id)
        if amount_fen > held:
            raise InsufficientFunds(reserved_account(run_id), held, amount_fen)
        if amount_fen == 0:
            return None
        return self._post(Transaction.transfer("payment", f"{run_id}:{chunk}",
                                               reserved_account(run_id), PAID_OUT, amount_fen,
                                               run_id=run_id, chunk=chunk))

    def release(self, run_id: str) -> Transaction | None:
        """What a run's reservation still holds goes back to available (None when empty)."""
        held = self.books.reserved_for(run_id)
        if held == 0:
            return None
        return self._post(Transaction.transfer("release", run_id, reserved_account(run_id),
                                               AVAILABLE, held, run_id=run_id))

    def take_return(self, run_id: str, chunk: int, amount_fen: int) -> Transaction | None:
        """Money the bank settled and later sent back comes in again as available. (That a
        run never gets back more than it paid is the allocation's rule.)"""
        self._check_open()
        if amount_fen < 0:
            raise FundRuleBroken(f"a return cannot be negative ({amount_fen} fen)")
        if amount_fen == 0:
            return None
        return self._post(Transaction.transfer("return", f"{run_id}:{chunk}", RETURNED,
                                               AVAILABLE, amount_fen, run_id=run_id,
                                               chunk=chunk))

    def recognise_receivable(self, receivable_id: str,
                             parts: Mapping[FiscalLevel, int]) -> Transaction:
        """Money paid out for periods nothing was owed for is owed back: each level's
        share moves from `overpaid:<level>` into `receivable:<level>`. Allowed after the
        year closed (a death reported in January for December's payment): it moves no
        money."""
        return self._post(self._per_level("receivable", receivable_id, parts,
                                           overpaid_account, receivable_account))

    def take_repayment(self, recovery_id: str,
                       parts: Mapping[FiscalLevel, int]) -> Transaction:
        """Money paid back comes in as available, out of each level's receivable (never
        more than it holds)."""
        self._check_open()
        entries = [Entry(receivable_account(level), -fen) for level, fen in parts.items() if fen]
        if any(fen < 0 for fen in parts.values()) or not entries:
            raise FundRuleBroken("a repayment moves a positive amount")
        entries.append(Entry(AVAILABLE, sum(parts.values())))
        return self._post(Transaction("repayment", recovery_id, tuple(entries)))

    def write_off(self, recovery_id: str, parts: Mapping[FiscalLevel, int]) -> Transaction:
        """What is given up leaves each level's receivable back into its source. Allowed
        after the year closed: it moves no money."""
        return self._post(self._per_level("write_off", recovery_id, parts,
                                          receivable_account, overpaid_account))

    def settle_receivable(self, recovery_id: str,
                          parts: Mapping[FiscalLevel, int]) -> Transaction:
        """A receivable recovered without its money coming into this account's available
        balance through it: the bank returned the overpaid payment (the return brought
        the money back), an offset withheld it from a later payment (it never left), or
        it was repaid after this account closed (the money comes into the open year's
        account: `take_prior_year_repayment`). Each level's receivable goes back to its
        source; allowed after the year closed."""
        return self._post(self._per_level("receivable_settled", recovery_id, parts,
                                          receivable_account, overpaid_account))

    def take_prior_year_repayment(self, recovery_id: str, amount_fen: int) -> Transaction:
        """Money repaid on a receivable of an earlier, closed year comes in as this
        year's available money (收回以前年度支出)."""
        self._check_open()
        return self._post(Transaction.transfer("prior_year_repayment", recovery_id,
                                               PRIOR_YEAR_RECOVERED, AVAILABLE, amount_fen))

    @staticmethod
    def _per_level(kind: Kind, reference: str, parts: Mapping[FiscalLevel, int],
                   source: Callable[[FiscalLevel], str],
                   destination: Callable[[FiscalLevel], str]) -> Transaction:
        if any(fen < 0 for fen in parts.values()) or not any(parts.values()):
            raise FundRuleBroken(f"a {kind} moves a positive amount")
        entries: list[Entry] = []
        for level in FISCAL_LEVELS:
            fen = parts.get(level, 0)
            if fen:
                entries += [Entry(source(level), -fen), Entry(destination(level), fen)]
        return Transaction(kind, reference, tuple(entries))

    def carry_forward(self, statement_id: str) -> Transaction | None:
        """Close the year: the whole available balance goes on to the next year's account.
        Refused while any run still holds a reservation."""
        self._check_open()
        if self.books.reserved_fen:
            raise FundRuleBroken(f"{self.key} still holds {self.books.reserved_fen} fen "
                                 "reserved for runs; settle them before closing the year")
        closing = self.books.available_fen
        transaction = None
        if closing:
            transaction = self._post(Transaction.transfer("carry_forward", statement_id,
                                                          AVAILABLE, CARRIED_FORWARD, closing))
        self.closed = True
        return transaction

    def bring_forward(self, statement_id: str, amount_fen: int) -> Transaction | None:
        """The previous year's closing balance opens this year's account."""
        self._check_open()
        if amount_fen < 0:
            raise FundRuleBroken(f"a balance brought forward cannot be negative ({amount_fen})")
        if amount_fen == 0:
            return None
        return self._post(Transaction.transfer("brought_forward", statement_id,
                                               BROUGHT_FORWARD, AVAILABLE, amount_fen))

    def _check_open(self) -> None:
        if self.closed:
            raise AccountClosed(f"special account {self.key} is closed by its year-end "
                                "statement; its balance went on to the next fiscal year")

    def _post(self, transaction: Transaction) -> Transaction:
        self.books.post(transaction)
        return transaction
