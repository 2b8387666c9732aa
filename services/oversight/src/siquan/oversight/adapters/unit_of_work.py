"""Oversight's unit of work on PostgreSQL, and the factory that opens it.

The batched consumer opens one transaction per batch and gives each message its own unit
of work bound to it (its own cause, so what it publishes names the right message). All the
units of one transaction share one `Batch`: the repositories, the writes they hold back and
the steps asked for. When the transaction is about to commit, the batch writes its held
facts, then locks the chain head, runs its steps (which read the facts), and links its
audit entries into the chain (ADR 0006) — so the head is locked once per batch, from the
steps to the commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncpg

from siquan.oversight.adapters.audit_log import PgAuditLog
from siquan.oversight.adapters.batching import Writes
from siquan.oversight.adapters.projections import PgProjections
from siquan.oversight.application.deferred import Deferred, Steps
from siquan.oversight.public.adapters.complaints import PgComplaints
from siquan.oversight.public.adapters.ledger import PgLedger
from siquan.oversight.public.adapters.notices import PgNoticeBoard
from siquan.oversight.public.adapters.own_statements import PgOwnStatements
from siquan.oversight.reconciliation.adapters.findings import PgFindings
from siquan.oversight.reconciliation.adapters.funds import PgFunds
from siquan.oversight.reconciliation.adapters.reads import PgReads
from siquan.oversight.reconciliation.adapters.reports import PgAccountability
from siquan.oversight.reconciliation.adapters.settled import PgSettled
from siquan.oversight.reconciliation.adapters.watched import PgWatched
from siquan.oversight.reconciliation.application.context import RuleConfig
from siquan.shared.clock import Clock
from siquan.shared.database import Connection, by_key
from siquan.shared.outbox import Outbox
from siquan.shared.unit_of_work import Cause, Isolation, PgUnitOfWork, UnitsOfWork


class Batch:
    """What the units of one transaction share."""

    def __init__(self, conn: Connection, config: RuleConfig) -> None:
        self.conn, self.config = conn, config
        self.writes = Writes()
        self.deferred = Deferred()
        self.audit = PgAuditLog(conn)
        self.projections = PgProjections(conn, self.writes)
        self.notices = PgNoticeBoard(conn)
        self.complaints = PgComplaints(conn)
        self.ledger = PgLedger(conn, self.writes)
        self.own_statements = PgOwnStatements(conn)
        self.watched = PgWatched(conn, self.writes)
        self.settled = PgSettled(conn)
        self.funds = PgFunds(conn, self.writes)
        self.findings = PgFindings(conn)
        self.accountability = PgAccountability(conn)
        self.reads = PgReads(conn)

    async def finish(self, unit: OversightWork) -> None:
        """Write the facts (alongside other transactions), then — one transaction at a
        time, holding the chain head — run the steps and append the entries. A step thus
        sees every fact another transaction committed before it, and a fact committed after
        it is judged by that transaction's own step: no pair of facts escapes the rules.
        The steps look the batch's facts up by key, and are planned so (`by_key`): on
        tables the planner last measured smaller, it scanned them whole for every batch."""
        await self.writes.flush(self.conn)
        await self.settled.flush()
        if not (self.deferred or self.audit.appended):
            return
        head = await self.audit.lock_head()
        async with by_key(self.conn):
            await self.deferred.run(unit)
        await self.writes.flush(self.conn)
        await self.audit.flush(head)


class OversightWork(Steps, PgUnitOfWork):
    """A unit of work of oversight: its own cause and message, the batch's repositories."""

    def __init__(self, conn: Connection, outbox: Outbox, clock: Clock,
                 cause: Cause | None = None, *, config: RuleConfig,
                 batch: Batch | None = None) -> None:
        super().__init__(conn, outbox, clock, cause)
        if batch is None:
            batch = Batch(conn, config)
            self.before_commit(lambda: batch.finish(self))
        self.batch = batch

    @property
    def config(self) -> RuleConfig:
        return self.batch.config

    @property
    def deferred(self) -> Deferred:
        return self.batch.deferred

    @property
    def audit(self) -> PgAuditLog:
        return self.batch.audit

    @property
    def projections(self) -> PgProjections:
        return self.batch.projections

    @property
    def figures(self) -> PgProjections:
        return self.batch.projections

    @property
    def notices(self) -> PgNoticeBoard:
        return self.batch.notices

    @property
    def complaints(self) -> PgComplaints:
        return self.batch.complaints

    @property
    def ledger(self) -> PgLedger:
        return self.batch.ledger

    @property
    def own_statements(self) -> PgOwnStatements:
        return self.batch.own_statements

    @property
    def watched(self) -> PgWatched:
        return self.batch.watched

    @property
    def settled(self) -> PgSettled:
        return self.batch.settled

    @property
    def funds(self) -> PgFunds:
        return self.batch.funds

    @property
    def findings(self) -> PgFindings:
        return self.batch.findings

    @property
    def accountability(self) -> PgAccountability:
        return self.batch.accountability

    @property
    def reads(self) -> PgReads:
        return self.batch.reads


class OversightUnits(UnitsOfWork[OversightWork]):
    """Opens oversight's units of work; the units the consumer binds to a batch's
    transaction join that transaction's `Batch`."""

    def __init__(self, pool: Callable[[], asyncpg.Pool], outbox: Outbox, clock: Clock,
                 config: RuleConfig) -> None:
        super().__init__(pool, outbox, clock, self._open)
        self.config = config
        self._open_batches: dict[int, Batch] = {}

    def _open(self, conn: Connection, outbox: Outbox, clock: Clock, cause: Cause
              ) -> OversightWork:
        return OversightWork(conn, outbox, clock, cause, config=self.config)

    @asynccontextmanager
    async def __call__(self, *, correlation_id: str | None = None,
                       causation_id: str | None = None,
                       isolation: Isolation = "read_committed",
                       readonly: bool = False) -> AsyncIterator[OversightWork]:
        async with super().__call__(correlation_id=correlation_id,
                                    causation_id=causation_id, isolation=isolation,
                                    readonly=readonly) as uow:
            key = id(uow.conn)
            self._open_batches[key] = uow.batch
            try:
                yield uow
            finally:
                self._open_batches.pop(key, None)

    def bind(self, conn: Connection, cause: Cause) -> OversightWork:
        batch = self._open_batches.get(id(conn))
        outbox, clock = self.outbox, self.clock
        return OversightWork(conn, outbox, clock, cause, config=self.config, batch=batch)

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    @property
    def clock(self) -> Clock:
        return self._clock


def snapshot(units: OversightUnits) -> AbstractAsyncContextManager[OversightWork]:
    """A read-only unit seeing one consistent snapshot (reports, verification)."""
    return units(isolation="repeatable_read", readonly=True)
