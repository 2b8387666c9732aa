"""Fund custody's in-memory unit of work (`FakeFundCustodyWork`) and the rest of its
in-memory repositories, for unit tests of the handlers without PostgreSQL or RabbitMQ.

Like the database they refuse a second allocation for a run (`Conflict`), a chunk recorded
twice, a payment returned twice (`Conflict`), a chunk of a run without an allocation, and
an allocation paying beyond its total or returning beyond what it paid. Everything they
hand out is a copy: only `add`/`save` change the store. Several units may share one store,
as several transactions share one database.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any, TypeVar

from asyncpg.exceptions import CheckViolationError, ForeignKeyViolationError, UniqueViolationError

from siquan.fund_custody.adapters.memory_books import (
    MemoryAppropriations,
    MemoryLedger,
    MemorySpecialAccounts,
    MemoryStore,
)
from siquan.fund_custody.adapters.unit_of_work import caused_by
from siquan.fund_custody.application.ports import (
    Allocations,
    Appropriations,
    Chunk,
    Conflict,
    Forecasts,
    HeadCounts,
    Ledger,
    Receivables,
    RunTotals,
    Settlements,
    SpecialAccounts,
    Statements,
    StoredForecast,
    StoredStatement,
)
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.forecast import CertifiedTerm
from siquan.fund_custody.domain.ledger import FISCAL_LEVELS
from siquan.fund_custody.domain.receivable import Parts, Receivable
from siquan.fund_custody.domain.statement import RunRecords
from siquan.shared.clock import Clock
from siquan.shared.unit_of_work import Cause, FakeUnitOfWork

T = TypeVar("T")


class MemoryAllocations:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def get(self, run_id: str, *, for_update: bool = False) -> Allocation | None:
        found = self._store.allocations.get(run_id)
        return None if found is None else replace(found)

    async def waiting(self, special_account_id: str) -> list[Allocation]:
        return [replace(a) for a in sorted(self._store.allocations.values(),
                                           key=lambda a: (a.requested_at, a.id))
                if a.special_account_id == special_account_id and a.status == "waiting"]

    async def of_account(self, special_account_id: str) -> list[Allocation]:
        return [replace(a) for a in sorted(self._store.allocations.values(),
                                           key=lambda a: (a.requested_at, a.id))
                if a.special_account_id == special_account_id]

    async def add(self, allocation: Allocation) -> None:
        if allocation.run_id in self._store.allocations:
            raise Conflict(f"run {allocation.run_id} was given an allocation meanwhile")
        self._store.allocations[allocation.run_id] = replace(allocation)

    async def save(self, allocation: Allocation) -> None:
        a = allocation
        if not (0 <= a.returned_fen <= a.paid_fen <= a.total_fen) or (
                a.status == "settled" and a.paid_fen + a.released_fen != a.total_fen):
            raise CheckViolationError(f"allocation of run {a.run_id} does not add up")
        if a.run_id in self._store.allocations:
            self._store.allocations[a.run_id] = replace(a)

    async def unsettled_runs(self, special_account_id: str) -> list[str]:
        return [a.run_id for a in sorted(self._store.allocations.values(),
                                         key=lambda a: a.requested_at)
                if a.special_account_id == special_account_id
                and a.status in ("waiting", "approved")]

    async def run_records(self, special_account_id: str) -> RunRecords:
        mine = [a for a in self._store.allocations.values()
                if a.special_account_id == special_account_id]
        runs = {a.run_id for a in mine}
        settled = [a for a in mine if a.status == "settled"]
        return RunRecords(
            runs_settled=len(settled), reserved_fen=sum(a.total_fen for a in settled),
            settled_chunks_fen=sum(c.amount_fen for (run, _), c in self._store.settled.items()
                                   if run in runs),
            released_fen=sum(a.released_fen for a in mine),
            returns_booked_fen=sum(c.amount_fen for c, booked_to
                                   in self._store.returned.values()
                                   if booked_to == special_account_id))


class MemorySettlements:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def settled(self, run_id: str, chunk: int) -> Chunk | None:
        return self._store.settled.get((run_id, chunk))

    async def add_settled(self, run_id: str, chunk: int, settled: Chunk) -> None:
        self._new_chunk(self._store.settled, run_id, chunk)
        self._store.settled[(run_id, chunk)] = settled

    async def add_periods(self, run_id: str, kind: str, chunk: int,
                          by_period: Mapping[str, int]) -> None:
        sign = 1 if kind == "settled" else -1
        for period, fen in by_period.items():
            self._store.run_periods.append((run_id, period, sign * fen))

    async def by_period(self, special_account_id: str) -> dict[str, dict[str, int]]:
        runs = {run_id for run_id, a in self._store.allocations.items()
                if a.special_account_id == special_account_id}
        found: dict[str, dict[str, int]] = {}
        for run_id, period, fen in self._store.run_periods:
            if run_id in runs:
                per_run = found.setdefault(run_id, {})
                per_run[period] = per_run.get(period, 0) + fen
        return found

    async def add_failed(self, run_id: str, chunk: int, failed: Chunk) -> bool:
        if (run_id, chunk) in self._store.failed:
            return False
        self._new_chunk(self._store.failed, run_id, chunk)
        self._store.failed[(run_id, chunk)] = failed
        return True

    async def returned(self, run_id: str, chunk: int) -> Chunk | None:
        found = self._store.returned.get((run_id, chunk))
        return None if found is None else found[0]

    async def add_returned(self, run_id: str, chunk: int, returned: Chunk, booked_to: str,
                           payments: Sequence[tuple[str, int]]) -> None:
        self._new_chunk(self._store.returned, run_id, chunk)
        ids = [payment_id for payment_id, _ in payments]
        if len(set(ids)) < len(ids) or set(ids) & set(self._store.returned_payments):
            raise Conflict(f"a payment of returned chunk {chunk} of run {run_id} was "
                           "returned meanwhile")
        self._store.returned[(run_id, chunk)] = (returned, booked_to)
        self._store.returned_payments.update(dict.fromkeys(ids, run_id))

    async def already_returned(self, payment_ids: Sequence[str]) -> list[str]:
        return [p for p in payment_ids if p in self._store.returned_payments]

    async def totals(self, run_id: str) -> RunTotals:
        settled = [c for (run, _), c in self._store.settled.items() if run == run_id]
        failed = [c for (run, _), c in self._store.failed.items() if run == run_id]
        returned = [c for (run, _), (c, _) in self._store.returned.items() if run == run_id]
        return RunTotals(
            settled_chunks=len(settled), settled_count=sum(c.payment_count for c in settled),
            settled_fen=sum(c.amount_fen for c in settled),
            settled_earlier_fen=sum(c.transferred_earlier_fen for c in settled),
            failed_chunks=len(failed),
            failed_count=sum(c.payment_count for c in failed),
            failed_fen=sum(c.amount_fen for c in failed), returned_chunks=len(returned),
            returned_count=sum(c.payment_count for c in returned))

    def _new_chunk(self, table: Mapping[tuple[str, int], object], run_id: str,
                   chunk: int) -> None:
        if run_id not in self._store.allocations:
            raise ForeignKeyViolationError(f"run {run_id} has no allocation")
        if (run_id, chunk) in table:
            raise UniqueViolationError(f"chunk {chunk} of run {run_id} is recorded")


class MemoryHeadCounts:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def grant(self, certification_id: str, program_code: str, division_code: str,
                    category: str, effective_from: date | None = None) -> None:
        known = self._store.certifications.get(certification_id)
        self._store.certifications[certification_id] = (
            (program_code, division_code, category, True, effective_from, None)
            if known is None
            else (*known[:2], known[2] or category, known[3], known[4] or effective_from,
                  known[5]))

    async def revoke(self, certification_id: str, program_code: str, division_code: str,
                     at: datetime, effective_from: date | None = None) -> None:
        known = self._store.certifications.get(certification_id)
        until = known[5] if known is not None else None
        if until is None or effective_from is None:
            until = until or effective_from
        else:
            until = min(until, effective_from)
        self._store.certifications[certification_id] = (
            program_code, division_code, None if known is None else known[2], False,
            None if known is None else known[4], until)
        for key in self._spans(certification_id):  # the spans a transfer or a change cut
            program, division, category, _, since, end = self._store.certifications[key]
            if key != certification_id:
                self._store.certifications[key] = (
                    program, division, category, False, since,
                    end if effective_from is None else min(end or effective_from,
                                                           effective_from))

    async def unrevoke(self, certification_ids: Sequence[str], effective_from: date,
                       at: datetime) -> set[tuple[str, str]]:
        changed = set()
        for certification_id in certification_ids:
            for key in self._spans(certification_id):
                known = self._store.certifications[key]
                if known[5] == effective_from:
                    self._store.certifications[key] = (*known[:3], True, known[4], None)
                    changed.add((known[0], known[1]))
        return changed

    def _spans(self, certification_id: str) -> list[str]:
        return [k for k in self._store.certifications
                if k == certification_id or k.startswith(f"{certification_id}@")]

    async def move(self, certification_id: str, program_code: str, division_code: str,
                   category: str, effective_from: date, at: datetime) -> None:
        span = f"{certification_id}@{effective_from.isoformat()}"
        earlier = sorted(((v[4] or date.min, k) for k in self._spans(certification_id)
                          if k != span and (v := self._store.certifications[k])
                          and (v[4] or date.min) < effective_from), reverse=True)
        until = self._store.certifications[earlier[0][1]][5] if earlier else None
        changed = self._store.category_since.get(earlier[0][1]) if earlier else None
        if changed is not None:
            category = self._store.certifications[earlier[0][1]][2] or category
            self._store.category_since.setdefault(span, changed)
        known = self._store.certifications.get(span)
        self._store.certifications[span] = (
            (program_code, division_code, category, until is None or until > effective_from,
             effective_from, until) if known is None
            else (known[0], division_code, *known[2:]))
        for _, key in earlier:
            program, division, kept, _, since, end = self._store.certifications[key]
            self._store.certifications[key] = (
                program, division, kept, False, since,
                effective_from if end is None else min(end, effective_from))

    async def recategorize(self, certification_id: str, program_code: str,
                           division_code: str, category: str, effective_from: date,
                           at: datetime) -> None:
        span = f"{certification_id}@{effective_from.isoformat()}"
        spans = self._store.certifications
        since_of = self._store.category_since
        earlier = sorted(((v[4] or date.min, k) for k in self._spans(certification_id)
                          if k != span and (v := spans[k])
                          and (v[4] or date.min) < effective_from), reverse=True)
        if earlier:
            until, active = spans[earlier[0][1]][5], spans[earlier[0][1]][3]
        else:
            spans.setdefault(certification_id, (program_code, division_code, None, False,
                                                 None, effective_from))
            until, active = None, True
        later = [v[4] for k in self._spans(certification_id)
                 if (v := spans[k])[4] is not None and v[4] > effective_from]
        if later and (until is None or min(later) < until):
            until = min(later)
        known = spans.get(span)
        spans[span] = ((program_code, division_code, category, active and until is None,
                        effective_from, until) if known is None
                       else (known[0], known[1], category, *known[3:]))
        since_of[span] = effective_from
        for _, key in earlier:
            program, division, kept, _, since, end = spans[key]
            spans[key] = (program, division, kept, False, since,
                          effective_from if end is None else min(end, effective_from))
        for key in self._spans(certification_id):
            program, division, _, active, since, end = spans[key]
            if (since is not None and since > effective_from
                    and since_of.get(key, effective_from) <= effective_from):
                spans[key] = (program, division, category, active, since, end)
                since_of[key] = effective_from

    async def active_counts(self, program_code: str, division_code: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for program, division, category, active, *_ in self._store.certifications.values():
            if active and (program, division) == (program_code, division_code) and category:
                counts[category] = counts.get(category, 0) + 1
        return dict(sorted(counts.items()))

    async def terms(self, program_code: str, division_code: str) -> list[CertifiedTerm]:
        return [CertifiedTerm(category, since, until, active, key.split("@")[0])
                for key, (program, division, category, active, since, until)
                in self._store.certifications.items()
                if (program, division) == (program_code, division_code) and category]

    async def roster_changed(self, program_code: str, division_code: str,
                             at: datetime) -> None:
        key = (program_code, division_code)
        self._store.rosters[key] = self._store.rosters.get(key, 0) + 1

    async def policy_changed(self, program_code: str, at: datetime) -> None:
        for key in [k for k in self._store.rosters if k[0] == program_code]:
            self._store.rosters[key] += 1

    async def roster_version(self, program_code: str, division_code: str) -> int:
        return self._store.rosters.get((program_code, division_code), 0)


class MemoryForecasts:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def latest(self, special_account_id: str, *,
                     version: int | None = None) -> StoredForecast | None:
        versions = self._store.forecasts.get(special_account_id, [])
        found = [f for f in versions if version is None or f.version == version]
        return max(found, key=lambda f: f.version, default=None)

    async def add(self, special_account_id: str, stored: StoredForecast) -> None:
        versions = self._store.forecasts.setdefault(special_account_id, [])
        if any(f.version == stored.version for f in versions):
            raise UniqueViolationError(f"forecast version {stored.version} exists")
        versions.append(stored)
        await self.looked_at(special_account_id, stored.version, stored.roster_version,
                             stored.computed_at)

    async def looked_at(self, special_account_id: str, version: int, roster_version: int,
                        at: datetime) -> None:
        row = self._store.accounts[special_account_id]
        row.forecast_version, row.forecast_roster_version = version, roster_version
        row.forecast_checked_at = at

    async def due(self, checked_before: datetime, limit: int = 100) -> list[str]:
        rosters = self._store.rosters
        due = [a for a in self._store.accounts.values()
               if a.forecast_version is not None and a.closed_at is None
               and a.forecast_checked_at is not None and a.forecast_checked_at <= checked_before
               and (a.forecast_roster_version or 0)
               < rosters.get((a.key.program_code, a.key.division_code), 0)]
        return [a.id for a in sorted(due, key=lambda a: a.forecast_checked_at or checked_before)
                ][:limit]


class MemoryStatements:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, stored: StoredStatement) -> None:
        s = stored.statement
        if stored.special_account_id in self._store.statements:
            raise UniqueViolationError("one statement per special account")
        if s.closing_fen != s.opening_fen + s.appropriated_total_fen - s.paid_fen \
                + s.returned_fen + s.recovered_fen or s.reserved_fen != s.paid_fen + s.released_fen:
            raise CheckViolationError("balances_to_the_fen")
        self._store.statements[stored.special_account_id] = stored

    async def get(self, special_account_id: str) -> StoredStatement | None:
        return self._store.statements.get(special_account_id)


class MemoryReceivables:
    """Receivables as `adapters/receivables.py` keeps them (recoveries applied in place)."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def add(self, receivable: Receivable, *, certification_id: str, cause: str,
                  ended_from: date, payments: list[dict[str, Any]], at: datetime) -> None:
        self._store.receivables[receivable.receivable_id] = copy.deepcopy(receivable)

    async def get(self, receivable_id: str) -> Receivable | None:
        found = self._store.receivables.get(receivable_id)
        return copy.deepcopy(found)

    async def has_recovery(self, recovery_id: str) -> bool:
        return recovery_id in self._store.recoveries

    async def add_recovery(self, receivable_id: str, recovery_id: str, kind: str,
                           parts: Parts, *, reference: str, recorded_by: str,
                           approved_by: str | None, at: datetime,
                           returned_payment_id: str | None = None,
                           credited_to: str | None = None) -> None:
        kept = self._store.receivables[receivable_id]
        into = kept.written_off if kind == "write_off" else kept.recovered
        for level, fen in parts.items():
            into[level] += fen
        self._store.recoveries.add(recovery_id)
        if credited_to is not None:
            self._store.credited[recovery_id] = (credited_to, dict(parts))

    async def credited_levels(self, special_account_id: str) -> Parts:
        total: Parts = dict.fromkeys(FISCAL_LEVELS, 0)
        for account_id, parts in self._store.credited.values():
            if account_id == special_account_id:
                for level, fen in parts.items():
                    total[level] += fen
        return total

    async def listed(self, *, division_prefix: str, program_code: str | None,
                     fiscal_year: int | None) -> list[dict[str, Any]]:
        return []


class FakeFundCustodyWork(FakeUnitOfWork):
    """Fund custody's unit of work in memory. `run` runs a piece of work as the runtime
    runs one transaction: committed when it returns, rolled back when it raises (the store
    as it was, nothing published)."""

    def __init__(self, clock: Clock, cause: Cause | None = None,
                 store: MemoryStore | None = None) -> None:
        super().__init__(clock, cause)
        self.store = store if store is not None else MemoryStore()
        self.accounts: SpecialAccounts = MemorySpecialAccounts(self.store)
        self.ledger: Ledger = MemoryLedger(self.store)
        self.appropriations: Appropriations = MemoryAppropriations(self.store)
        self.allocations: Allocations = MemoryAllocations(self.store)
        self.settlements: Settlements = MemorySettlements(self.store)
        self.head_counts: HeadCounts = MemoryHeadCounts(self.store)
        self.forecasts: Forecasts = MemoryForecasts(self.store)
        self.statements: Statements = MemoryStatements(self.store)
        self.receivables: Receivables = MemoryReceivables(self.store)

    def follow(self, message_id: str) -> None:
        self.cause = caused_by(self.cause, message_id)

    async def run(self, work: Awaitable[T]) -> T:
        before = self.snapshot()
        try:
            result = await work
        except BaseException:
            vars(self.store).update(vars(before))
            self.pending.clear()
            raise
        await self._finish()
        return result

    def snapshot(self) -> MemoryStore:
        """A deep copy of the store: what a test compares after a refused command."""
        return copy.deepcopy(self.store)
