"""What disbursement's handlers need from storage, and the unit of work that carries it.

`adapters/unit_of_work.py` implements these on PostgreSQL (`DisbursementWork`);
`adapters/memory.py` keeps in-memory twins that behave the same for what the handlers rely
on, so the handlers are unit-tested without servers. Every write is idempotent and
independent of the order messages arrive in; aggregates that two instances may change at
once are locked (`get(..., for_update=True)`, `lock`, chunk claims that skip locked
chunks).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

from siquan.contracts.base import Event
from siquan.disbursement.application.ports import BankReturn
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.chunk import Chunk, Outcome
from siquan.disbursement.domain.offsets import Offset
from siquan.disbursement.domain.payment_run import PaymentRun, RunTotals
from siquan.disbursement.domain.recovery import (
    Found,
    PaidUnder,
    Receivable,
    Recovery,
    SettledPayment,
    WriteOffProposal,
)
from siquan.disbursement.domain.retry import RefusedPayment
from siquan.disbursement.domain.roster import (
    Flag,
    FrozenRoster,
    PayeeAccount,
    PlannedPayment,
    RosterQuery,
    Skip,
)
from siquan.disbursement.domain.sharing import AccountUser, PayeeAgent
from siquan.disbursement.domain.statement import Difference, HeldPayment
from siquan.shared.clock import Clock
from siquan.shared.unit_of_work import Cause

PAYER_CHANNEL = "siquan_disbursement_payer"
"""Where a unit that releases a run wakes the payers of every instance (a NOTIFY)."""


class AlreadyPaying(Exception):
    """Another run already holds a live payment for one of these (person, period, item)."""


@dataclass(frozen=True)
class Hold:
    hold_id: str
    person_key: str
    program_code: str | None
    reason: str


@dataclass(frozen=True)
class Disputed:
    """A run's payments still pending that the bank answered otherwise than instructed:
    they wait for its corrected results."""

    count: int = 0
    amount_fen: int = 0
    batches: tuple[str, ...] = ()


@dataclass(frozen=True)
class Returned:
    """A settled payment that became returned."""

    payment_id: str
    run_id: str
    person_key: str
    period: str
    amount_fen: int
    bank_reference: str
    reason: str
    returned_on: date
    item: str = "benefit"


@dataclass(frozen=True)
class AccountChange:
    """A change of a payee's account registered by one officer, awaiting a second."""

    account: PayeeAccount
    division_code: str
    registered_by: str
    registered_at: datetime
    fingerprint: str | None = None
    agent: PayeeAgent | None = None


@dataclass(frozen=True)
class SharedAccount:
    """An account receiving for several payees, as the duplicates report shows it."""

    fingerprint: str
    masked_account: str
    users: tuple[AccountUser, ...]


@dataclass(frozen=True)
class UnfingerprintedAccount:
    """An account registered before accounts carried their keyed fingerprint."""

    account_id: int
    person_key: str
    account: PayeeAccount
    division_code: str
    registered_at: datetime
    current: bool
    agent_key: str | None = None


class PayeeAccounts(Protocol):
    async def lock(self, person_key: str) -> None:
        """Serialise registrations for one person until the unit ends."""

    async def current(self, person_key: str) -> PayeeAccount | None: ...

    async def replace(self, person_key: str, account: PayeeAccount, *, division_code: str,
                      registered_by: str, at: datetime, needs_checker: bool = False,
                      fingerprint: str | None = None, agent: PayeeAgent | None = None
                      ) -> datetime | None:
        """Make `account` current; when the account it replaced had been registered. An
        account that `needs_checker` is not paid until a second officer confirms it; an
        `agent`'s account pays the person through the agent."""

    async def agent_of(self, person_key: str) -> PayeeAgent | None:
        """The agent the current account belongs to, if any."""

    async def own_account(self, person_key: str) -> tuple[PayeeAccount, str | None] | None:
        """The person's latest account registered without an agent, with its
        fingerprint."""

    async def users_of(self, fingerprint: str) -> list[AccountUser]:
        """The payees whose current account has this fingerprint."""

    async def keep_household(self, person_key: str, household_key: str) -> None:
        """Remember the person's household (from a certification)."""

    async def household_of(self, person_key: str) -> str | None: ...

    async def shared(self) -> list[SharedAccount]:
        """Every current account receiving for more than one payee."""

    async def awaiting_confirmation(self, person_key: str) -> AccountChange | None:
        """The current account when it is a change no second officer has confirmed."""

    async def confirm(self, person_key: str, *, confirmed_by: str, at: datetime) -> None:
        """Confirm the current account's change (the database refuses its own maker)."""

    async def without_fingerprint(self, limit: int) -> list[UnfingerprintedAccount]:
        """Up to `limit` accounts without a fingerprint, each locked until the unit ends;
        accounts another unit holds are passed over (two instances share the work)."""

    async def set_fingerprint(self, account_id: int, fingerprint: str) -> bool:
        """Give the account its fingerprint unless it has one; whether it was given."""


@dataclass(frozen=True)
class CertificationChange:
    """From `effective_from` the certification belongs to `division_code` and is of
    `category` (a transfer or a change of category)."""

    change_id: str
    certification_id: str
    kind: Literal["transfer", "category"]
    effective_from: date
    division_code: str
    category: str
    decided_at: datetime


class Certifications(Protocol):
    async def add(self, certification: Certification, *, policy_version: str,
                  approved_at: datetime) -> None:
        """Keep a granted certification (a repeated grant changes nothing)."""

    async def unend(self, certification_ids: Sequence[str], effective_from: date) -> None:
        """The revocations from `effective_from` of these certifications never were (a
        death recorded in error); a revocation from another day stays."""

    async def end(self, certification_id: str, effective_from: date, reason: str,
                  decided_by: str) -> None:
        """Revoked or lapsed from a day; the earliest end wins, in whatever order."""

    async def change(self, change: CertificationChange) -> None:
        """Keep a change of county or category (a repeated change changes nothing)."""

    async def suspend(self, certification_id: str, suspended_from: date) -> None: ...

    async def reinstate(self, certification_id: str, reinstated_from: date) -> None:
        """Ends the suspension it follows, whichever of the two arrives first."""

    async def count_active(self, program_code: str, division_code: str, on: date) -> int: ...

    async def divisions_of(self, person_key: str, on: date) -> list[str]:
        """The divisions of the person's certifications that have not ended by `on`."""


class Holds(Protocol):
    async def place(self, hold: Hold) -> None:
        """In force until lifted; a lift that came first keeps it lifted."""

    async def lift(self, hold_id: str, person_key: str, reason: str,
                   lifted_at: datetime) -> None: ...

    async def place_on_run(self, hold_id: str, run_id: str, reason: str,
                           placed_at: datetime) -> None:
        """No payer takes the run's unpaid payments until lifted; a lift that came first
        keeps it lifted."""

    async def lift_on_run(self, hold_id: str, run_id: str, reason: str,
                          lifted_at: datetime) -> None: ...

    async def on_run(self, run_id: str) -> list[dict[str, Any]]:
        """The holds in force on the run (id, reason, when placed)."""


class Deaths(Protocol):
    async def record(self, person_key: str, report_id: str, date_of_death: date,
                     benefits_end: date) -> None:
        """The earliest reported end of benefits wins."""

    async def forget(self, person_key: str, date_of_death: date) -> None:
        """A death recorded in error (and corrected): the person's death of that date is
        no death (another date on record stays)."""


class Runs(Protocol):
    async def lock_roster(self, program_code: str, period: str, division_code: str, *,
                          exclusive_with: Collection[str] = ()) -> None:
        """Serialise run starts for one program, period and division; with
        `exclusive_with`, also with every run start in the division of the program or of
        a program exclusive with it (whatever their periods), so one of two exclusive
        programs' runs freezes its roster after the other's payments are committed."""

    async def first_regular_period(self, program_code: str, division_code: str
                                   ) -> str | None:
        """Where the arrears window starts: the first regular run's period, or the month
        of the earliest day a migrated certification is owed (`roster_import`) when that
        is earlier; None before either."""

    async def add(self, run: PaymentRun, *, skipped: Sequence[Skip], flags: Sequence[Flag],
                  arrears_count: int, arrears_fen: int) -> None: ...

    async def get(self, run_id: str, *, for_update: bool = False) -> PaymentRun:
        """The run (`NotFound` when there is none)."""

    async def save(self, run: PaymentRun) -> None: ...

    async def listed(self, run_id: str) -> dict[str, Any]:
        """What the run listed at its start: skips, flags, arrears, return batches."""

    async def search(self, *, program_code: str | None, period: str | None,
                     status: str | None, division_prefix: str, limit: int, offset: int
                     ) -> tuple[int, list[dict[str, Any]]]:
        """How many runs match, and a page of them (latest first), each with its payments
        counted and summed by status (`payments_count`, `<status>_count`, `<status>_fen`
        for paid, returned, failed, cancelled and pending) and `skipped_count`."""

    async def allocated(self, limit: int = 20) -> list[str]:
        """Runs the payers may work, oldest first."""

    async def wake_payers(self, run_id: str) -> None:
        """Tell every instance's payers, once the unit commits, that the run may be paid."""

    async def record_fund_settlement(self, run_id: str, paid_fen: int, at: datetime) -> bool:
        """Fund custody settled the run for `paid_fen` (at the unit's time); False for an
        unknown run."""

    async def keep_trace_context(self, run_id: str, carrier: dict[str, str]) -> None: ...

    async def trace_context(self, run_id: str) -> dict[str, str]: ...

    async def next_return_batch(self, run_id: str) -> int: ...


class Payments(Protocol):
    async def freeze(self, query: RosterQuery) -> FrozenRoster:
        """Write the roster's payments (cut into chunks); `AlreadyPaying` when another run
        already pays one of them."""

    async def add(self, run_id: str, program_code: str, payments: Sequence[PlannedPayment],
                  chunk_size: int) -> None:
        """Write planned payments of a run (a retry's), cut into chunks."""

    async def claim_chunk(self, run_id: str, aside: Collection[int] = ()) -> Chunk | None:
        """Lock the run's next chunk no other payer holds and not among `aside`, with each
        payment's obstacle under `PAYABLE` as of now; None when every chunk is done, held
        or set aside."""

    async def record(self, chunk: Chunk, outcomes: dict[str, Outcome], at: datetime, *,
                     disputed: Collection[str] = ()) -> None:
        """Every payment's final result but the `disputed` ones' (the bank owes a correction
        for them), which move to a new chunk of the run; the chunk is done (both at the
        unit's time)."""

    async def any_pending(self, run_id: str) -> bool: ...

    async def note_dispute(self, run_id: str, payment_id: str, batch: str, kind: str,
                           found_at: datetime) -> None:
        """Keep that the bank answered the run's payment otherwise than instructed in
        `batch` (once a payment and batch; nothing for an id that is not the run's)."""

    async def disputed(self, run_id: str) -> Disputed:
        """The run's pending payments the bank answered otherwise than instructed."""

    async def totals(self, run_id: str) -> RunTotals: ...

    async def totals_with_chunks(self, run_id: str) -> tuple[RunTotals, int, int]:
        """The totals, how many chunks carried settled payments and how many failed ones
        (one pass over a run of millions when it completes)."""

    async def mark_returned(self, returns: Sequence[BankReturn]) -> list[Returned]:
        """Settled payments the bank returned (same amount and reference) become
        returned; those that changed now."""


class Retries(Protocol):
    async def refused(self, run_id: str) -> list[RefusedPayment]:
        """The run's failed and returned payments, with what decides a retry."""


class Statements(Protocol):
    async def lock(self, run_id: str) -> None:
        """Serialise statement imports for one run until the unit ends."""

    async def held(self, run_id: str, payment_ids: Sequence[str]
                   ) -> tuple[dict[str, HeldPayment], list[HeldPayment]]:
        """The run's payments these ids name, and its settled payments they do not."""

    async def imported(self, run_id: str, sha256: str) -> dict[str, Any] | None:
        """An earlier import of the same file for the run (its fields and differences)."""

    async def add(self, *, run_id: str, batch: str, sha256: str, line_count: int,
                  total_fen: int, matched: int, differences: Sequence[Difference],
                  imported_by: str, imported_at: datetime) -> str:
        """Keep an import and its differences; its statement id."""


class Receivables(Protocol):
    async def of_death(self, person_key: str, certification_ids: Sequence[str]
                       ) -> list[str]:
        """The ids of the receivables a death raised on these certifications of the
        person."""

    async def lock_person(self, person_key: str) -> None:
        """Serialise finding one person's overpayments until the unit ends."""

    async def settled_after_end(self, person_key: str) -> list[SettledPayment]:
        """The person's settled (not returned) payments on certifications that ended,
        not yet found overpaid."""

    async def settled_in_force(self, person_key: str) -> list[PaidUnder]:
        """The person's settled (not returned) payments not yet found overpaid, each with
        the category and county of its certification on its period's first day."""

    async def add(self, found: Found, person_key: str, at: datetime) -> bool:
        """Keep a receivable and its payments; False when it was kept before."""

    async def get(self, receivable_id: str, *, for_update: bool = False
                  ) -> tuple[Receivable, dict[str, Any]]:
        """The receivable and its description (`NotFound` when there is none)."""

    async def add_recovery(self, receivable_id: str, recovery: Recovery, reference: str,
                           at: datetime) -> None: ...

    async def add_offset(self, run_id: str, recovery_id: str, taken: Offset) -> None:
        """Keep what a recorded offset took from which entitlement of the run."""

    async def holding(self, payment_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        """Of these payments, those found overpaid: payment id → receivable id and the
        part of the payment found overpaid (all of it, or what it paid above a lowered
        standard)."""

    async def add_proposal(self, receivable_id: str, proposal: WriteOffProposal,
                           reason: str, at: datetime) -> None: ...

    async def decide_proposal(self, proposal_id: str, at: datetime) -> None: ...

    async def search(self, *, division_prefix: str, program_code: str | None,
                     status: str | None, person_key: str | None) -> list[dict[str, Any]]: ...

    async def payments_of(self, receivable_id: str) -> list[dict[str, Any]]: ...


class ReturnCursor(Protocol):
    async def covered(self) -> date | None:
        """The last day of returns already asked for."""

    async def advance(self, through: date) -> None: ...


class Work(Protocol):
    """A unit of work as disbursement's handlers see it."""

    clock: Clock
    cause: Cause

    @property
    def accounts(self) -> PayeeAccounts: ...

    @property
    def certifications(self) -> Certifications: ...

    @property
    def holds(self) -> Holds: ...

    @property
    def deaths(self) -> Deaths: ...

    @property
    def runs(self) -> Runs: ...

    @property
    def payments(self) -> Payments: ...

    @property
    def retries(self) -> Retries: ...

    @property
    def return_cursor(self) -> ReturnCursor: ...

    @property
    def receivables(self) -> Receivables: ...

    @property
    def statements(self) -> Statements: ...

    def publish(self, event: Event) -> str: ...


class Units(Protocol):
    """Opens units of work (`shared.unit_of_work.UnitsOfWork` of `DisbursementWork`)."""

    def __call__(self, *, correlation_id: str | None = None,
                 causation_id: str | None = None) -> AbstractAsyncContextManager[Work]: ...

    def reading(self) -> AbstractAsyncContextManager[Work]: ...

    def listening(self, channel: str, callback: Callable[..., None]
                  ) -> AbstractAsyncContextManager[None]: ...
