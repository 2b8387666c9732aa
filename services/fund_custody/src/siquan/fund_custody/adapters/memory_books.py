"""In-memory special accounts, ledger and appropriations for unit tests, sharing one
`MemoryStore` with the other in-memory repositories (`memory.py`).

They keep what the database keeps and refuse what it refuses, with the same errors: a
posting to a closed account, a second posting of one chunk, money moved outside the closed
loop (a reservation, payment or release without an approved allocation of the account, a
payment without its settled chunk, a return without its returned chunk, a carry forward
without the statement), or a balance out of its sign. What they return are copies: a
change reaches the store only through a repository call, as with the real one. Locks are
not modelled (a unit test runs one unit of work at a time).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from asyncpg.exceptions import CheckViolationError, UniqueViolationError

from siquan.fund_custody.application.ports import (
    Chunk,
    RecordedAppropriation,
    StoredForecast,
    StoredStatement,
)
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.ledger import (
    AVAILABLE,
    BROUGHT_FORWARD,
    CARRIED_FORWARD,
    PAID_OUT,
    PRIOR_YEAR_RECOVERED,
    RETURNED,
    Books,
    Transaction,
    is_source,
)
from siquan.fund_custody.domain.receivable import Parts
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount


@dataclass
class AccountRow:
    id: str
    key: AccountKey
    balances: dict[str, int] = field(default_factory=dict)
    closed_at: datetime | None = None
    forecast_version: int | None = None
    forecast_roster_version: int | None = None
    forecast_checked_at: datetime | None = None


@dataclass
class MemoryStore:
    """The tables of fund custody's database, as dictionaries."""

    accounts: dict[str, AccountRow] = field(default_factory=dict)
    postings: list[tuple[str, Transaction]] = field(default_factory=list)
    appropriations: dict[str, RecordedAppropriation] = field(default_factory=dict)
    allocations: dict[str, Allocation] = field(default_factory=dict)         # by run id
    settled: dict[tuple[str, int], Chunk] = field(default_factory=dict)
    run_periods: list[tuple[str, str, int]] = field(default_factory=list)
    failed: dict[tuple[str, int], Chunk] = field(default_factory=dict)
    returned: dict[tuple[str, int], tuple[Chunk, str]] = field(default_factory=dict)
    returned_payments: dict[str, str] = field(default_factory=dict)         # id → run id
    # certification id -> (program, division, category, active, certified_from, certified_until)
    certifications: dict[str, tuple[str, str, str | None, bool, date | None, date | None]] = (
        field(default_factory=dict))
    # span's certification id -> effective date of the category change that set its category
    category_since: dict[str, date] = field(default_factory=dict)
    rosters: dict[tuple[str, str], int] = field(default_factory=dict)
    forecasts: dict[str, list[StoredForecast]] = field(default_factory=dict)
    statements: dict[str, StoredStatement] = field(default_factory=dict)
    receivables: dict[str, Any] = field(default_factory=dict)
    recoveries: set[str] = field(default_factory=set)
    credited: dict[str, tuple[str, Parts]] = field(default_factory=dict)
    # recovery id -> (account credited, each level's part)

    def account_of(self, key: AccountKey) -> AccountRow | None:
        return next((a for a in self.accounts.values() if a.key == key), None)

    def is_closed(self, row: AccountRow) -> bool:
        """Closed by its statement, or a later year of the program is."""
        return row.closed_at is not None or any(
            a.closed_at is not None and a.key.fiscal_year > row.key.fiscal_year
            and (a.key.program_code, a.key.division_code)
            == (row.key.program_code, row.key.division_code) for a in self.accounts.values())

    def view(self, row: AccountRow) -> SpecialAccount:
        return SpecialAccount(row.id, row.key, Books.of(row.balances), self.is_closed(row))


class MemorySpecialAccounts:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def lock_or_open(self, key: AccountKey) -> SpecialAccount:
        row = self._store.account_of(key)
        if row is None:
            row = AccountRow(f"sa-{len(self._store.accounts) + 1}", key)
            self._store.accounts[row.id] = row
        return self._store.view(row)

    async def lock(self, account_id: str) -> SpecialAccount:
        if account_id not in self._store.accounts:
            raise LookupError(f"no special account {account_id}")
        return self._store.view(self._store.accounts[account_id])

    async def find(self, key: AccountKey) -> SpecialAccount | None:
        row = self._store.account_of(key)
        return None if row is None else self._store.view(row)

    async def close(self, account: SpecialAccount, at: datetime) -> None:
        self._store.accounts[account.id].closed_at = at

    async def first_open_year_after(self, key: AccountKey) -> int:
        closed = [a.key.fiscal_year for a in self._store.accounts.values()
                  if (a.key.program_code, a.key.division_code)
                  == (key.program_code, key.division_code)
                  and a.key.fiscal_year >= key.fiscal_year and a.closed_at is not None]
        return max(closed, default=key.fiscal_year) + 1


class MemoryLedger:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def record(self, account: SpecialAccount, transaction: Transaction) -> str:
        row = self._store.accounts[account.id]
        if row.closed_at is not None and transaction.kind not in MOVES_NO_MONEY:
            raise CheckViolationError(f"special account {row.id} is closed by its year-end "
                                      "statement")
        self._check_once(row, transaction)
        self._check_closed_loop(row, transaction)
        after = dict(row.balances)
        for entry in transaction.entries:
            after[entry.account] = after.get(entry.account, 0) + entry.amount_fen
            balance = after[entry.account]
            if (balance > 0) if is_source(entry.account) else (balance < 0):
                raise CheckViolationError(f"balance_never_negative: {entry.account} {balance}")
        row.balances = after
        self._store.postings.append((row.id, transaction))
        return f"tx-{len(self._store.postings)}"

    def _check_once(self, row: AccountRow, t: Transaction) -> None:
        for account_id, seen in self._store.postings:
            if (account_id, seen.kind, seen.reference) == (row.id, t.kind, t.reference) or (
                    t.kind in ("payment", "return")
                    and (seen.kind, seen.run_id, seen.chunk) == (t.kind, t.run_id, t.chunk)):
                raise UniqueViolationError(f"{t.kind} {t.reference} was posted already")

    def _check_closed_loop(self, row: AccountRow, t: Transaction) -> None:
        source, destination = _ROUTES[t.kind]
        run = t.run_id or ""
        source, destination = source.format(run=run), destination.format(run=run)
        per_level = t.kind in _PER_LEVEL
        for entry in t.entries:
            if not ((entry.account.startswith(destination) if per_level
                     else entry.account == destination) if entry.amount_fen > 0
                    else entry.account.startswith(source)
                    if t.kind == "appropriation" or per_level else entry.account == source):
                raise CheckViolationError(f"closed loop: a {t.kind} transaction cannot move "
                                          f"{entry.amount_fen} fen in {entry.account}")
        if not self._recorded_cause(row, t, max(e.amount_fen for e in t.entries)):
            raise CheckViolationError(f"closed loop: no approved allocation, recorded chunk "
                                      f"or statement allows {t.kind} {t.reference}")

    def _recorded_cause(self, row: AccountRow, t: Transaction, amount: int) -> bool:
        store, run_chunk = self._store, (t.run_id or "", -1 if t.chunk is None else t.chunk)
        if t.kind in ("reservation", "payment", "release"):
            allocation = store.allocations.get(run_chunk[0])
            if allocation is None or allocation.status != "approved" \
                    or allocation.special_account_id != row.id:
                return False
        if t.kind == "payment":
            settled = store.settled.get(run_chunk)
            return settled is not None and settled.amount_fen == amount
        if t.kind == "return":
            returned = store.returned.get(run_chunk)
            return returned is not None and (returned[0].amount_fen, returned[1]) == (
                amount, row.id)
        if t.kind == "carry_forward":
            statement = store.statements.get(row.id)
            return statement is not None and statement.statement.closing_fen == amount
        if t.kind in ("repayment", "write_off", "receivable_settled"):
            return t.reference in store.recoveries
        if t.kind == "prior_year_repayment":
            credited = store.credited.get(t.reference)
            return credited is not None and credited[0] == row.id \
                and sum(credited[1].values()) == amount
        if t.kind == "brought_forward":
            previous = store.account_of(AccountKey(
                row.key.program_code, row.key.fiscal_year - 1, row.key.division_code))
            stored = None if previous is None else store.statements.get(previous.id)
            return stored is not None and stored.statement.closing_fen == amount
        return True


_ROUTES = {  # kind: (where money may come from, where it may go), as in migration 0002
    "appropriation": ("appropriation:", AVAILABLE), "reservation": (AVAILABLE, "reserved:{run}"),
    "payment": ("reserved:{run}", PAID_OUT), "release": ("reserved:{run}", AVAILABLE),
    "return": (RETURNED, AVAILABLE), "carry_forward": (AVAILABLE, CARRIED_FORWARD),
    "brought_forward": (BROUGHT_FORWARD, AVAILABLE),
    "receivable": ("overpaid:", "receivable:"), "repayment": ("receivable:", AVAILABLE),
    "write_off": ("receivable:", "overpaid:"), "receivable_settled": ("receivable:", "overpaid:"),
    "prior_year_repayment": (PRIOR_YEAR_RECOVERED, AVAILABLE),
}
_PER_LEVEL = ("receivable", "repayment", "write_off", "receivable_settled")  # as in 0007/0008
# allowed on a closed account (0008): they move no money
MOVES_NO_MONEY = ("receivable", "write_off", "receivable_settled")


class MemoryAppropriations:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, appropriation: RecordedAppropriation) -> None:
        if appropriation.document_number is not None and await self.by_document(
                appropriation.special_account_id, appropriation.document_number):
            raise UniqueViolationError("appropriations_document_once")
        self._store.appropriations[appropriation.id] = appropriation

    async def by_document(self, special_account_id: str,
                          document_number: str) -> RecordedAppropriation | None:
        return next((a for a in self._store.appropriations.values()
                     if (a.special_account_id, a.document_number)
                     == (special_account_id, document_number)), None)
