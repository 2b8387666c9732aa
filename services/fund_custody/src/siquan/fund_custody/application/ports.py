"""What fund custody's use cases need from storage, one Protocol per repository, and the
unit of work that carries them (`FundCustodyUnit`). PostgreSQL implements them in
`adapters/` (`FundCustodyWork`), memory in `adapters/memory.py` (`FakeFundCustodyWork`),
so every handler is unit-tested without servers.

Consistency between competing instances comes from the special account's row lock: every
use case that moves money locks the account first (`accounts.lock…`), then reads and
writes what belongs to it. An insert that loses a race for a unique key the lock does not
cover raises `Conflict`, a transient error: handled again, the winner's row is seen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Protocol

from siquan.contracts.base import Contract, Event
from siquan.contracts.disbursement_v1 import (
    FailedPayment,
    PaymentsSettled,
    ReturnedPayment,
    SettledPayment,
)
from siquan.contracts.types import Fen, Period
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.forecast import CertifiedTerm, Forecast
from siquan.fund_custody.domain.ledger import FiscalLevel, Transaction
from siquan.fund_custody.domain.receivable import Parts, Receivable
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.fund_custody.domain.statement import RunRecords, YearEndStatement
from siquan.shared.consumer import NotYet


class Conflict(NotYet):
    """Another transaction committed the same unique key first: try again to see it."""


class SettledAmount(Contract):
    """What fund custody reads of a settled payment (`SettledPayment`): the money, the
    period it pays, and the earlier transfer it was answered with."""

    amount_fen: Fen
    period: Period | None = None
    transferred_as: str | None = None


class SettledChunk(PaymentsSettled):
    """A settled chunk as fund custody reads it: the chunk whole, of each payment only
    `SettledAmount` (a narrower reading, `siquan.shared.registry`). A chunk holds ten
    thousand payments; reading each whole took twice as long."""

    payments: tuple[SettledAmount, ...]  # type: ignore[assignment]


Payment = SettledPayment | SettledAmount | FailedPayment | ReturnedPayment


@dataclass(frozen=True)
class Chunk:
    """A chunk of a run's results: how many payments, how much money.

    A settled payment the bank answered with a transfer it had made earlier under another
    payment id (`transferred_as`: a run lost in a restore of disbursement and started
    again) moved no money: it is counted, and its amount is kept in
    `transferred_earlier_fen`, not in `amount_fen`."""

    payment_count: int
    amount_fen: int
    transferred_earlier_fen: int = 0

    @classmethod
    def of(cls, payments: Sequence[Payment]) -> Chunk:
        earlier = sum(p.amount_fen for p in payments if transferred_earlier(p))
        return cls(len(payments), sum(p.amount_fen for p in payments) - earlier, earlier)


def transferred_earlier(payment: Payment) -> bool:
    """A settled payment whose money the bank moved earlier, under another payment id."""
    return isinstance(payment, SettledPayment | SettledAmount) \
        and payment.transferred_as is not None


@dataclass(frozen=True)
class RunTotals:
    """What fund custody has received of a run's results so far."""

    settled_chunks: int = 0
    settled_count: int = 0
    settled_fen: int = 0
    """What the settled chunks paid out (money the bank moved for the run)."""
    settled_earlier_fen: int = 0
    """What they settled by transfers the bank had made earlier (`Chunk`)."""
    failed_chunks: int = 0
    failed_count: int = 0
    failed_fen: int = 0
    returned_chunks: int = 0
    returned_count: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class RecordedAppropriation:
    id: str
    special_account_id: str
    level: FiscalLevel
    amount_fen: int
    transaction_id: str
    recorded_by: str
    recorded_at: datetime
    document_number: str | None = None


@dataclass(frozen=True)
class StoredForecast:
    version: int
    roster_version: int
    forecast: Forecast
    cause: str
    computed_by: str | None
    computed_at: datetime


@dataclass(frozen=True)
class StoredStatement:
    statement_id: str
    special_account_id: str
    statement: YearEndStatement
    produced_by: str
    produced_at: datetime


class SpecialAccounts(Protocol):
    async def lock_or_open(self, key: AccountKey) -> SpecialAccount:
        """The account of `key` with its balances, opened empty if new, locked."""

    async def lock(self, account_id: str) -> SpecialAccount:
        """An existing account with its balances, locked."""

    async def find(self, key: AccountKey) -> SpecialAccount | None:
        """The account without a lock (reading), or None if it was never opened."""

    async def close(self, account: SpecialAccount, at: datetime) -> None:
        """Closed by its year-end statement (after its last posting)."""

    async def first_open_year_after(self, key: AccountKey) -> int:
        """The earliest fiscal year after `key`'s whose account is not closed."""


class Ledger(Protocol):
    async def record(self, account: SpecialAccount, transaction: Transaction) -> str:
        """Store a transaction the account posted; its id."""


class Appropriations(Protocol):
    async def add(self, appropriation: RecordedAppropriation) -> None: ...

    async def by_document(self, special_account_id: str,
                          document_number: str) -> RecordedAppropriation | None: ...


class Allocations(Protocol):
    async def get(self, run_id: str, *, for_update: bool = False) -> Allocation | None: ...

    async def waiting(self, special_account_id: str) -> list[Allocation]:
        """The account's waiting allocations, oldest request first, locked."""

    async def of_account(self, special_account_id: str) -> list[Allocation]:
        """All the account's allocations, oldest request first (not locked)."""

    async def add(self, allocation: Allocation) -> None:
        """A new allocation; `Conflict` if its run has one already."""

    async def save(self, allocation: Allocation) -> None: ...

    async def unsettled_runs(self, special_account_id: str) -> list[str]: ...

    async def run_records(self, special_account_id: str) -> RunRecords:
        """The account's settled runs and the returns booked into it (for its statement)."""


class Settlements(Protocol):
    """The result chunks of runs: settled, failed and returned, each once per (run, chunk);
    returned payments once per payment id."""

    async def settled(self, run_id: str, chunk: int) -> Chunk | None: ...

    async def add_settled(self, run_id: str, chunk: int, settled: Chunk) -> None: ...

    async def add_failed(self, run_id: str, chunk: int, failed: Chunk) -> bool:
        """Count a failed chunk once; False if it was counted already."""

    async def returned(self, run_id: str, chunk: int) -> Chunk | None: ...

    async def add_returned(self, run_id: str, chunk: int, returned: Chunk, booked_to: str,
                           payments: Sequence[tuple[str, int]]) -> None:
        """The chunk and its (payment id, amount); `Conflict` if a payment is known."""

    async def already_returned(self, payment_ids: Sequence[str]) -> list[str]: ...

    async def totals(self, run_id: str) -> RunTotals: ...

    async def add_periods(self, run_id: str, kind: str, chunk: int,
                          by_period: Mapping[str, int]) -> None:
        """What a settled or returned chunk moved for each period it paid."""

    async def by_period(self, special_account_id: str) -> dict[str, dict[str, int]]:
        """Per run of the account: per period, settled minus returned (fen)."""


class HeadCounts(Protocol):
    """Active certifications per program, division and category, by certification id
    only; every change bumps the roster version of its program and division."""

    async def grant(self, certification_id: str, program_code: str, division_code: str,
                    category: str, effective_from: date | None = None) -> None:
        """Count it as active from `effective_from`, unless it is known already (or was
        revoked)."""

    async def revoke(self, certification_id: str, program_code: str, division_code: str,
                     at: datetime, effective_from: date | None = None) -> None:
        """Stop counting it from `effective_from` (the earliest such date wins); remembered
        even when its grant has not been seen."""

    async def unrevoke(self, certification_ids: Sequence[str], effective_from: date,
                       at: datetime) -> set[tuple[str, str]]:
        """The revocations from `effective_from` of these certifications never were (a
        death recorded in error): counted again as before them; the (program, division)
        whose count changed."""

    async def move(self, certification_id: str, program_code: str, division_code: str,
                   category: str, effective_from: date, at: datetime) -> None:
        """A transfer: counted in `division_code` from `effective_from`, no longer in the
        county before it."""

    async def recategorize(self, certification_id: str, program_code: str,
                           division_code: str, category: str, effective_from: date,
                           at: datetime) -> None:
        """A change of category: counted in the old one before `effective_from`, in the new
        one from it (and in every later span no later change set)."""

    async def terms(self, program_code: str, division_code: str) -> list[CertifiedTerm]:
        """Every certification of the program and division with a known category, ended
        or not, with the dates it was in force."""

    async def active_counts(self, program_code: str, division_code: str) -> dict[str, int]: ...

    async def roster_changed(self, program_code: str, division_code: str,
                             at: datetime) -> None: ...

    async def roster_version(self, program_code: str, division_code: str) -> int: ...

    async def policy_changed(self, program_code: str, at: datetime) -> None:
        """Bump the roster version of every division of the program (forecasts due)."""


class Forecasts(Protocol):
    async def latest(self, special_account_id: str, *,
                     version: int | None = None) -> StoredForecast | None: ...

    async def add(self, special_account_id: str, stored: StoredForecast) -> None:
        """A new version (also recorded as looked at, at its computation time)."""

    async def looked_at(self, special_account_id: str, version: int, roster_version: int,
                        at: datetime) -> None: ...

    async def due(self, checked_before: datetime, limit: int = 100) -> list[str]:
        """Open accounts with a forecast whose roster changed since it was looked at, and
        not looked at since `checked_before`, least recently looked at first."""


class Statements(Protocol):
    async def add(self, stored: StoredStatement) -> None: ...

    async def get(self, special_account_id: str) -> StoredStatement | None: ...


class Receivables(Protocol):
    async def add(self, receivable: Receivable, *, certification_id: str, cause: str,
                  ended_from: date, payments: list[dict[str, Any]], at: datetime) -> None: ...

    async def get(self, receivable_id: str) -> Receivable | None:
        """With what each level recovered and wrote off so far."""

    async def has_recovery(self, recovery_id: str) -> bool: ...

    async def add_recovery(self, receivable_id: str, recovery_id: str, kind: str,
                           parts: Parts, *, reference: str, recorded_by: str,
                           approved_by: str | None, at: datetime,
                           returned_payment_id: str | None = None,
                           credited_to: str | None = None) -> None:
        """`credited_to`: the special account whose available money a repayment came
        into (None: a bank return, an offset or a write-off, which credit nothing)."""

    async def credited_levels(self, special_account_id: str) -> Parts:
        """Per fiscal level, what repayments brought into this account's available money
        (on its own year's receivables and on closed earlier years')."""

    async def listed(self, *, division_prefix: str, program_code: str | None,
                     fiscal_year: int | None) -> list[dict[str, Any]]: ...


class FundCustodyUnit(Protocol):
    """One transaction of fund custody: its repositories, the clock, the outbox."""

    accounts: SpecialAccounts
    ledger: Ledger
    appropriations: Appropriations
    allocations: Allocations
    settlements: Settlements
    head_counts: HeadCounts
    forecasts: Forecasts
    statements: Statements
    receivables: Receivables

    def now(self) -> datetime: ...

    def publish(self, event: Event) -> str: ...

    def follow(self, message_id: str) -> None:
        """What is published from now on is caused by the event `message_id`."""
