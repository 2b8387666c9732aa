"""In-memory twins of disbursement's repositories and unit of work, for unit tests. They keep
the behaviour the handlers rely on — idempotent and commutative writes, one live payment
per (person, program, period, item) (`AlreadyPaying`), chunks taken once, results final,
a unit that commits all or nothing — and decide rosters with the domain's own rules
(`plan_person` for everyone; PostgreSQL takes a set-based shortcut for the plain ones,
and property tests hold the two to the same answers)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from siquan.contracts.periods import first_day_of_next_month, period_start
from siquan.disbursement.adapters.memory_payments import MemoryPayments
from siquan.disbursement.adapters.memory_store import (
    AccountRecord,
    HoldRecord,
    MemoryStore,
    RunHoldRecord,
    RunRecord,
)
from siquan.disbursement.application.repositories import (
    AccountChange,
    CertificationChange,
    Hold,
    SharedAccount,
    UnfingerprintedAccount,
)
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.errors import NotFound
from siquan.disbursement.domain.offsets import Offset
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.recovery import (
    Found,
    PaidUnder,
    Receivable,
    Recovery,
    SettledPayment,
    WriteOffProposal,
    in_force_on,
)
from siquan.disbursement.domain.retry import RefusedPayment
from siquan.disbursement.domain.roster import Flag, PayeeAccount, Skip
from siquan.disbursement.domain.sharing import AccountUser, PayeeAgent
from siquan.shared.clock import Clock
from siquan.shared.unit_of_work import Cause, FakeUnitOfWork


class MemoryAccounts:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def lock(self, person_key: str) -> None:
        return None

    async def current(self, person_key: str) -> PayeeAccount | None:
        record = self._store.current_account(person_key)
        return None if record is None else record.account

    async def replace(self, person_key: str, account: PayeeAccount, *, division_code: str,
                      registered_by: str, at: datetime, needs_checker: bool = False,
                      fingerprint: str | None = None, agent: PayeeAgent | None = None
                      ) -> datetime | None:
        previous = self._store.current_account(person_key)
        if previous is not None:
            previous.superseded_at = at
        before = None if previous is None else previous.registered_at
        self._store.accounts.append(AccountRecord(
            person_key, account, division_code, registered_by, at, before,
            requires_checker=needs_checker, confirmed_at=None if needs_checker else at,
            fingerprint=fingerprint, agent=agent))
        return before

    async def awaiting_confirmation(self, person_key: str) -> AccountChange | None:
        record = self._store.current_account(person_key)
        if record is None or not record.unconfirmed:
            return None
        return AccountChange(record.account, record.division_code, record.registered_by,
                             record.registered_at, record.fingerprint, record.agent)

    async def confirm(self, person_key: str, *, confirmed_by: str, at: datetime) -> None:
        record = self._store.current_account(person_key)
        if record is None or not record.unconfirmed:
            return
        if confirmed_by == record.registered_by:  # the table's CHECK constraint
            raise ValueError("payee_account_checker_is_not_maker")
        record.confirmed_by, record.confirmed_at = confirmed_by, at

    async def agent_of(self, person_key: str) -> PayeeAgent | None:
        record = self._store.current_account(person_key)
        return None if record is None else record.agent

    async def own_account(self, person_key: str) -> tuple[PayeeAccount, str | None] | None:
        own = [a for a in self._store.accounts
               if a.person_key == person_key and a.agent is None]
        return None if not own else (own[-1].account, own[-1].fingerprint)

    def _user(self, record: AccountRecord) -> AccountUser:
        return AccountUser(record.person_key, self._store.households.get(record.person_key),
                           None if record.agent is None else record.agent.person_key,
                           record.division_code)

    async def users_of(self, fingerprint: str) -> list[AccountUser]:
        return [self._user(a) for a in self._store.accounts
                if a.superseded_at is None and a.fingerprint == fingerprint]

    async def keep_household(self, person_key: str, household_key: str) -> None:
        self._store.households[person_key] = household_key

    async def household_of(self, person_key: str) -> str | None:
        return self._store.households.get(person_key)

    async def shared(self) -> list[SharedAccount]:
        groups: dict[str, list[AccountRecord]] = {}
        for record in self._store.accounts:
            if record.superseded_at is None and record.fingerprint is not None:
                groups.setdefault(record.fingerprint, []).append(record)
        return [SharedAccount(fingerprint, records[0].account.masked,
                              tuple(self._user(r) for r in records))
                for fingerprint, records in groups.items() if len(records) > 1]

    async def without_fingerprint(self, limit: int) -> list[UnfingerprintedAccount]:
        return [UnfingerprintedAccount(
            n, a.person_key, a.account, a.division_code, a.registered_at,
            a.superseded_at is None, None if a.agent is None else a.agent.person_key)
            for n, a in enumerate(self._store.accounts) if a.fingerprint is None][:limit]

    async def set_fingerprint(self, account_id: int, fingerprint: str) -> bool:
        record = self._store.accounts[account_id]
        if record.fingerprint is not None:
            return False
        record.fingerprint = fingerprint
        return True


class MemoryCertifications:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, certification: Certification, *, policy_version: str,
                  approved_at: datetime) -> None:
        self._store.certifications.setdefault(certification.id, certification)

    async def end(self, certification_id: str, effective_from: date, reason: str,
                  decided_by: str) -> None:
        known = self._store.revocations.get(certification_id, effective_from)
        self._store.revocations[certification_id] = min(known, effective_from)

    async def unend(self, certification_ids: Sequence[str], effective_from: date) -> None:
        for certification_id in certification_ids:
            if self._store.revocations.get(certification_id) == effective_from:
                del self._store.revocations[certification_id]

    async def change(self, change: CertificationChange) -> None:
        self._store.certification_changes.setdefault(change.change_id, change)

    async def suspend(self, certification_id: str, suspended_from: date) -> None:
        self._store.suspensions.add((certification_id, suspended_from))

    async def reinstate(self, certification_id: str, reinstated_from: date) -> None:
        self._store.reinstatements.add((certification_id, reinstated_from))

    async def count_active(self, program_code: str, division_code: str, on: date) -> int:
        found = (self._store.certification(c) for c in self._store.certifications)
        return sum(1 for c in found if c is not None and c.program_code == program_code
                   and c.division_code == division_code and c.effective_from <= on
                   and all(end is None or end > on
                           for end in (c.effective_until, c.benefits_end)))

    async def divisions_of(self, person_key: str, on: date) -> list[str]:
        found = (self._store.certification(c) for c in self._store.certifications)
        return sorted({c.division_code for c in found
                       if c is not None and c.person_key == person_key
                       and all(end is None or end > on
                               for end in (c.effective_until, c.benefits_end))})


class MemoryHolds:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def place(self, hold: Hold) -> None:
        known = self._store.holds.get(hold.hold_id)
        lifted = None if known is None else known.lifted_at
        self._store.holds[hold.hold_id] = HoldRecord(hold.person_key, hold.program_code,
                                                     hold.reason, lifted)

    async def lift(self, hold_id: str, person_key: str, reason: str,
                   lifted_at: datetime) -> None:
        known = self._store.holds.setdefault(hold_id, HoldRecord(person_key, None, reason))
        known.lifted_at = known.lifted_at or lifted_at

    async def place_on_run(self, hold_id: str, run_id: str, reason: str,
                           placed_at: datetime) -> None:
        known = self._store.run_holds.setdefault(hold_id, RunHoldRecord(run_id, reason))
        known.reason, known.placed_at = reason, placed_at

    async def lift_on_run(self, hold_id: str, run_id: str, reason: str,
                          lifted_at: datetime) -> None:
        known = self._store.run_holds.setdefault(hold_id, RunHoldRecord(run_id, reason))
        known.lifted_at = known.lifted_at or lifted_at

    async def on_run(self, run_id: str) -> list[dict[str, Any]]:
        return [{"hold_id": hold_id, "reason": h.reason,
                 "placed_at": h.placed_at.isoformat() if h.placed_at else None}
                for hold_id, h in self._store.run_holds.items()
                if h.run_id == run_id and h.lifted_at is None]


class MemoryDeaths:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def record(self, person_key: str, report_id: str, date_of_death: date,
                     benefits_end: date) -> None:
        known = self._store.deaths.get(person_key, benefits_end)
        self._store.deaths[person_key] = min(known, benefits_end)

    async def forget(self, person_key: str, date_of_death: date) -> None:
        if self._store.deaths.get(person_key) == first_day_of_next_month(date_of_death):
            del self._store.deaths[person_key]


class MemoryRuns:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def lock_roster(self, program_code: str, period: str, division_code: str, *,
                          exclusive_with: Collection[str] = ()) -> None:
        return None

    async def first_regular_period(self, program_code: str, division_code: str
                                   ) -> str | None:
        periods = [r.run.period for r in self._store.runs.values()
                   if r.run.program_code == program_code and r.run.kind == "regular"
                   and r.run.division_code == division_code]
        return min(periods, key=period_start) if periods else None

    async def add(self, run: PaymentRun, *, skipped: Sequence[Skip], flags: Sequence[Flag],
                  arrears_count: int, arrears_fen: int) -> None:
        self._store.runs[run.id] = RunRecord(copy.copy(run), {
            "skipped": [asdict(s) for s in skipped],
            "flags": [{**asdict(f), "registered_at": f.registered_at.isoformat()}
                      for f in flags],
            "arrears_count": arrears_count, "arrears_fen": arrears_fen, "return_batches": 0})

    async def get(self, run_id: str, *, for_update: bool = False) -> PaymentRun:
        record = self._store.runs.get(run_id)
        if record is None:
            raise NotFound(f"no payment run {run_id}")
        return copy.copy(record.run)

    async def save(self, run: PaymentRun) -> None:
        self._store.runs[run.id].run = copy.copy(run)

    async def listed(self, run_id: str) -> dict[str, Any]:
        taken = [o for r, _, o in self._store.offsets if r == run_id]
        return dict(self._store.runs[run_id].listed) | {
            "offset_count": len(taken), "offset_fen": sum(o.offset_fen for o in taken)}

    async def allocated(self, limit: int = 20) -> list[str]:
        found = sorted((r.run for r in self._store.runs.values()
                        if r.run.status == "allocated"
                        and not any(h.run_id == r.run.id and h.lifted_at is None
                                    for h in self._store.run_holds.values())),
                       key=lambda r: r.started_at)
        return [r.id for r in found[:limit]]

    async def wake_payers(self, run_id: str) -> None:
        self._store.notified.append(run_id)

    async def record_fund_settlement(self, run_id: str, paid_fen: int, at: datetime) -> bool:
        record = self._store.runs.get(run_id)
        if record is None:
            return False
        record.fund_settled_fen = paid_fen
        return True

    async def keep_trace_context(self, run_id: str, carrier: dict[str, str]) -> None:
        self._store.runs[run_id].trace_context = dict(carrier)

    async def trace_context(self, run_id: str) -> dict[str, str]:
        record = self._store.runs.get(run_id)
        return {} if record is None else dict(record.trace_context)

    async def next_return_batch(self, run_id: str) -> int:
        listed = self._store.runs[run_id].listed
        listed["return_batches"] += 1
        return int(listed["return_batches"]) - 1


class MemoryRetries:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def refused(self, run_id: str) -> list[RefusedPayment]:
        store, found = self._store, []
        for p in store.run_payments(run_id):
            if p.status not in ("failed", "returned"):
                continue
            current = store.current_account(p.person_key)
            account = None if current is None else current.account
            refused_to_current = account is not None and any(
                o.person_key == p.person_key and o.program_code == p.program_code
                and o.period == p.period and o.item == p.item
                and o.status in ("failed", "returned")
                and PayeeAccount(o.bank_code, o.account_number) == account
                for o in store.payments.values())
            found.append(RefusedPayment(
                p.payment_id, p.certification_id, p.person_key, p.period, p.amount_fen,
                store.certification(p.certification_id), store.held(p.person_key,
                                                                    p.program_code),
                account, store.live(p.person_key, p.program_code, p.period, p.item),
                refused_to_current, None if current is None else current.registered_at,
                None if current is None else current.previous_registered_at,
                account_unconfirmed=current is not None and current.unconfirmed))
        return found


class MemoryReturnCursor:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def covered(self) -> date | None:
        return self._store.return_cursor

    async def advance(self, through: date) -> None:
        known = self._store.return_cursor
        self._store.return_cursor = through if known is None else max(known, through)


class MemoryReceivables:
    """Receivables as `adapters/receivables.py` keeps them, for the handlers' unit tests."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def lock_person(self, person_key: str) -> None:
        return None

    async def settled_after_end(self, person_key: str) -> list[SettledPayment]:
        store, found = self._store, []
        for p in store.payments.values():
            certification = store.certification(p.certification_id)
            if (p.person_key != person_key or p.status != "settled" or certification is None
                    or p.payment_id in store.overpaid):
                continue
            ends = [d for d in (certification.effective_until, certification.benefits_end)
                    if d is not None]
            if not ends:
                continue
            run = store.runs[p.run_id].run
            found.append(SettledPayment(
                p.payment_id, p.run_id, run.period, p.certification_id, p.program_code,
                run.division_code, p.period, p.item, p.amount_fen, min(ends),
                certification.benefits_end == min(ends)))
        return found

    async def settled_in_force(self, person_key: str) -> list[PaidUnder]:
        store, found = self._store, []
        for p in store.payments.values():
            certification = store.certification(p.certification_id)
            if (p.person_key != person_key or p.status != "settled" or certification is None
                    or p.payment_id in store.overpaid):
                continue
            changes = sorted((c for c in store.certification_changes.values()
                              if c.certification_id == certification.id),
                             key=lambda c: (c.effective_from, c.decided_at))
            span = in_force_on([(certification.effective_from, certification.category,
                                 certification.division_code)]
                               + [(max(c.effective_from, certification.effective_from),
                                   c.category, c.division_code) for c in changes], p.period)
            assert span is not None
            ends = [d for d in (certification.effective_until, certification.benefits_end)
                    if d is not None]
            run = store.runs[p.run_id].run
            found.append(PaidUnder(SettledPayment(
                p.payment_id, p.run_id, run.period, p.certification_id, p.program_code,
                run.division_code, p.period, p.item, p.amount_fen, min(ends, default=None)),
                span[1], span[2], span[0]))
        return found

    async def of_death(self, person_key: str, certification_ids: Sequence[str]
                       ) -> list[str]:
        return [i for i, (_, d, _) in self._store.receivables.items()
                if d["person_key"] == person_key and d["cause"] == "death"
                and d["certification_id"] in certification_ids]

    async def add(self, found: Found, person_key: str, at: datetime) -> bool:
        if found.receivable_id in self._store.receivables:
            return False
        described = {"receivable_id": found.receivable_id, "person_key": person_key,
                     "certification_id": found.certification_id,
                     "program_code": found.program_code, "division_code": found.division_code,
                     "fiscal_year": found.fiscal_year, "cause": found.cause,
                     "ended_from": found.ended_from.isoformat(), "total_fen": found.total_fen,
                     "recorded_at": at.isoformat()}
        self._store.receivables[found.receivable_id] = (
            Receivable(found.receivable_id, found.total_fen), described,
            [asdict(p) for p in found.payments])
        for p in found.payments:
            self._store.overpaid[p.payment_id] = (found.receivable_id, p.amount_fen)
        return True

    async def get(self, receivable_id: str, *, for_update: bool = False
                  ) -> tuple[Receivable, dict[str, Any]]:
        if receivable_id not in self._store.receivables:
            raise NotFound("no such receivable")
        receivable, described, _ = self._store.receivables[receivable_id]
        return copy.deepcopy(receivable), dict(described)

    async def add_recovery(self, receivable_id: str, recovery: Recovery, reference: str,
                           at: datetime) -> None:
        if recovery.approved_by is not None and recovery.approved_by == recovery.recorded_by:
            raise ValueError("write_off_checker_is_not_maker")  # the table's CHECK
        self._store.receivables[receivable_id][0].recoveries.append(recovery)

    async def add_offset(self, run_id: str, recovery_id: str, taken: Offset) -> None:
        self._store.offsets.append((run_id, recovery_id, taken))

    async def holding(self, payment_ids: Sequence[str]) -> dict[str, tuple[str, int]]:
        return {p: self._store.overpaid[p] for p in payment_ids if p in self._store.overpaid}

    async def add_proposal(self, receivable_id: str, proposal: WriteOffProposal,
                           reason: str, at: datetime) -> None:
        self._store.receivables[receivable_id][0].proposal = proposal

    async def decide_proposal(self, proposal_id: str, at: datetime) -> None:
        for receivable, _, _ in self._store.receivables.values():
            if receivable.proposal is not None and receivable.proposal.proposal_id == \
                    proposal_id:
                receivable.proposal = None

    async def search(self, *, division_prefix: str, program_code: str | None,
                     status: str | None, person_key: str | None) -> list[dict[str, Any]]:
        found = []
        for receivable, described, _ in self._store.receivables.values():
            row = described | {"outstanding_fen": receivable.outstanding_fen,
                               "status": receivable.status}
            if (described["division_code"].startswith(division_prefix)
                    and program_code in (None, described["program_code"])
                    and person_key in (None, described["person_key"])
                    and status in (None, row["status"])):
                found.append(row)
        return found

    async def payments_of(self, receivable_id: str) -> list[dict[str, Any]]:
        return list(self._store.receivables[receivable_id][2])


class FakeDisbursementWork(FakeUnitOfWork):
    def __init__(self, store: MemoryStore, clock: Clock, cause: Cause | None = None,
                 new_id: Callable[[], str] = lambda: str(uuid.uuid4())) -> None:
        super().__init__(clock, cause)
        self.store = store
        self.accounts = MemoryAccounts(store)
        self.certifications = MemoryCertifications(store)
        self.holds = MemoryHolds(store)
        self.deaths = MemoryDeaths(store)
        self.runs = MemoryRuns(store)
        self.payments = MemoryPayments(store, new_id)
        self.retries = MemoryRetries(store)
        self.return_cursor = MemoryReturnCursor(store)
        self.receivables = MemoryReceivables(store)


class FakeUnits:
    """Units of work on one `MemoryStore`: each works on a copy that replaces the store when
    it commits, so a unit that raises leaves nothing behind (as a rolled-back transaction).
    `units` lists every unit opened, for the events they published."""

    def __init__(self, store: MemoryStore, clock: Clock) -> None:
        self.store, self.clock = store, clock
        self.units: list[FakeDisbursementWork] = []

    @asynccontextmanager
    async def __call__(self, *, correlation_id: str | None = None,
                       causation_id: str | None = None) -> AsyncIterator[FakeDisbursementWork]:
        working = copy.deepcopy(self.store)
        uow = FakeDisbursementWork(working, self.clock, Cause(correlation_id, causation_id))
        yield uow
        await uow._finish()
        self.store.__dict__.update(working.__dict__)
        self.units.append(uow)

    def reading(self) -> Any:
        return self()

    @asynccontextmanager
    async def listening(self, channel: str, callback: Callable[..., None]
                        ) -> AsyncIterator[None]:
        yield
