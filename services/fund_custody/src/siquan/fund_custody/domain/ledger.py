"""The double-entry ledger of one special account (专户).

Every movement is a `Transaction` of at least two entries summing to zero. Balances are
sums of entries. The accounts of a special account:

- `appropriation:<level>` — the source of money paid in by a fiscal level; its balance is
  zero or negative (the negative of what that level has paid in);
- `brought_forward` — the source of the previous fiscal year's closing balance (≤ 0);
- `returned` — the source of money the bank sent back after settling it (≤ 0);
- `available` — money that may be reserved for payment runs;
- `reserved:<run_id>` — money held for one payment run;
- `paid_out` — money the bank settled to beneficiaries (gross: a return does not reduce
  it, it comes in through `returned`, so `paid_out` always equals what the bank settled);
- `carried_forward` — the closing balance handed on to the next fiscal year's account;
- `receivable:<level>` — each level's share of overpayments still owed back, and its
  source `overpaid:<level>` (≤ 0);
- `prior_year_recovered` — the source of money repaid on a receivable of an earlier,
  closed year: it comes in as this year's available money (≤ 0).

Every account but the sources is never negative, and all balances together sum to zero:
appropriated + brought forward + returned + overpaid + prior year recovered = available +
reserved + paid out + carried forward + receivable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from siquan.fund_custody.domain.errors import InsufficientFunds, UnbalancedTransaction

FiscalLevel = Literal["central", "provincial", "municipal", "county"]
FISCAL_LEVELS: tuple[FiscalLevel, ...] = ("central", "provincial", "municipal", "county")
Kind = Literal["appropriation", "reservation", "payment", "release", "return",
               "carry_forward", "brought_forward", "receivable", "repayment", "write_off",
               "receivable_settled", "prior_year_repayment"]

AVAILABLE = "available"
PAID_OUT = "paid_out"
RETURNED = "returned"
BROUGHT_FORWARD = "brought_forward"
CARRIED_FORWARD = "carried_forward"
PRIOR_YEAR_RECOVERED = "prior_year_recovered"
_SOURCE_PREFIX = "appropriation:"
_OVERPAID_PREFIX = "overpaid:"
_RECEIVABLE_PREFIX = "receivable:"
_RESERVED_PREFIX = "reserved:"
_SOURCES = (RETURNED, BROUGHT_FORWARD, PRIOR_YEAR_RECOVERED)


def appropriation_account(level: FiscalLevel) -> str:
    return f"{_SOURCE_PREFIX}{level}"


def receivable_account(level: FiscalLevel) -> str:
    return f"{_RECEIVABLE_PREFIX}{level}"


def overpaid_account(level: FiscalLevel) -> str:
    return f"{_OVERPAID_PREFIX}{level}"


def reserved_account(run_id: str) -> str:
    return f"{_RESERVED_PREFIX}{run_id}"


def is_source(account: str) -> bool:
    """Source accounts (appropriations, brought forward, returned) are where money comes
    into the special account from: they may be negative, never positive."""
    return (account.startswith(_SOURCE_PREFIX) or account.startswith(_OVERPAID_PREFIX)
            or account in _SOURCES)


@dataclass(frozen=True)
class Entry:
    account: str
    amount_fen: int


@dataclass(frozen=True)
class Transaction:
    """One posting: entries that sum to zero, none of them zero. A posting about a run
    names it (and the result chunk it books), so the database can check it on its own."""

    kind: Kind
    reference: str
    entries: tuple[Entry, ...]
    run_id: str | None = None
    chunk: int | None = None

    def __post_init__(self) -> None:
        if len(self.entries) < 2:
            raise UnbalancedTransaction("a ledger transaction needs at least two entries")
        if any(e.amount_fen == 0 for e in self.entries):
            raise UnbalancedTransaction("a ledger entry cannot be zero")
        total = sum(e.amount_fen for e in self.entries)
        if total != 0:
            raise UnbalancedTransaction(f"entries sum to {total} fen, not zero")

    @classmethod
    def transfer(cls, kind: Kind, reference: str, source: str, destination: str,
                 amount_fen: int, *, run_id: str | None = None,
                 chunk: int | None = None) -> Transaction:
        """Move a positive amount from one account to another."""
        if amount_fen <= 0:
            raise UnbalancedTransaction(f"a transfer moves a positive amount, not {amount_fen}")
        return cls(kind, reference, (Entry(source, -amount_fen), Entry(destination, amount_fen)),
                   run_id, chunk)


@dataclass
class Books:
    """The balances of one special account's ledger accounts."""

    balances: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, balances: Mapping[str, int]) -> Books:
        return cls(dict(balances))

    def balance(self, account: str) -> int:
        return self.balances.get(account, 0)

    def post(self, transaction: Transaction) -> None:
        """Apply every entry, or none if any account would break its sign rule."""
        after = dict(self.balances)
        for entry in transaction.entries:
            after[entry.account] = after.get(entry.account, 0) + entry.amount_fen
        for entry in transaction.entries:
            _check_sign(entry.account, self.balance(entry.account), after[entry.account])
        self.balances = after

    def is_balanced(self) -> bool:
        return sum(self.balances.values()) == 0

    @property
    def available_fen(self) -> int:
        return self.balance(AVAILABLE)

    @property
    def paid_out_fen(self) -> int:
        """What the bank settled (gross of returns)."""
        return self.balance(PAID_OUT)

    @property
    def returned_fen(self) -> int:
        """What the bank sent back after settling it."""
        return -self.balance(RETURNED)

    @property
    def brought_forward_fen(self) -> int:
        """The previous fiscal year's closing balance, received as this year's opening."""
        return -self.balance(BROUGHT_FORWARD)

    @property
    def carried_forward_fen(self) -> int:
        """The closing balance handed on to the next fiscal year."""
        return self.balance(CARRIED_FORWARD)

    @property
    def reserved_fen(self) -> int:
        return sum(_values(self.balances, _RESERVED_PREFIX))

    def reserved_for(self, run_id: str) -> int:
        return self.balance(reserved_account(run_id))

    @property
    def recovered_fen(self) -> int:
        """What overpaid beneficiaries paid back into the account: on this year's
        receivables (those recognised, less what was written off, settled otherwise — a
        bank return, an offset, a repayment after this year closed — and what is still
        owed), and on earlier, closed years' receivables."""
        overpaid = sum(_values(self.balances, _OVERPAID_PREFIX))
        return (-overpaid - sum(_values(self.balances, _RECEIVABLE_PREFIX))
                - self.balance(PRIOR_YEAR_RECOVERED))

    def receivable_fen(self) -> dict[FiscalLevel, int]:
        """What each level's share of overpayments is still owed back."""
        return {level: self.balance(receivable_account(level)) for level in FISCAL_LEVELS}

    def appropriated_fen(self) -> dict[FiscalLevel, int]:
        """What each fiscal level has paid in (the negated source balances)."""
        return {level: -self.balance(appropriation_account(level)) for level in FISCAL_LEVELS}


def _values(balances: Mapping[str, int], prefix: str) -> Iterable[int]:
    return (v for k, v in balances.items() if k.startswith(prefix))


def _check_sign(account: str, before: int, after: int) -> None:
    if is_source(account):
        if after > 0:
            raise UnbalancedTransaction(f"{account} cannot hold money ({after} fen)")
    elif after < 0:
        raise InsufficientFunds(account, before, before - after)
