"""Oversight's unit of work in memory: the twin of `adapters.unit_of_work`.

A `FakeOversightWork` is one transaction: its repositories, the steps asked for, and the
events published. `bind(delivery)` gives a message its own unit in the same transaction,
as the batched consumer does; `commit()` runs the steps and links the audit entries.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from siquan.contracts.base import Event
from siquan.oversight.adapters.memory.audit import MemoryAuditLog, MemoryProjections
from siquan.oversight.adapters.memory.findings import MemoryFindings
from siquan.oversight.adapters.memory.public import (
    MemoryComplaints,
    MemoryLedger,
    MemoryNoticeBoard,
)
from siquan.oversight.adapters.memory.settled import MemoryFunds, MemorySettled
from siquan.oversight.adapters.memory.store import MemoryStore
from siquan.oversight.adapters.memory.watched import MemoryWatched
from siquan.oversight.application.deferred import Deferred, Steps
from siquan.oversight.reconciliation.application.context import RuleConfig
from siquan.shared.clock import Clock, FixedClock
from siquan.shared.consumer import Delivery
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.registry import Handler
from siquan.shared.unit_of_work import Cause, FakeUnitOfWork


class MemoryBatch:
    def __init__(self, store: MemoryStore, config: RuleConfig, clock: Clock) -> None:
        self.store, self.config = store, config
        self.deferred = Deferred()
        self.audit = MemoryAuditLog(store)
        self.projections = MemoryProjections(store)
        self.notices = MemoryNoticeBoard(store)
        self.complaints = MemoryComplaints(store)
        self.ledger = MemoryLedger(store)
        self.watched = MemoryWatched(store)
        self.settled = MemorySettled(store, clock.now)
        self.funds = MemoryFunds(store, clock.now)
        self.findings = MemoryFindings(store)


class FakeOversightWork(Steps, FakeUnitOfWork):
    def __init__(self, clock: Clock, cause: Cause | None = None, *,
                 store: MemoryStore | None = None, config: RuleConfig | None = None,
                 batch: FakeOversightWork | None = None) -> None:
        super().__init__(clock, cause)
        if batch is None:
            self.batch = MemoryBatch(store or MemoryStore(), config or RuleConfig(), clock)
            self.before_commit(self._finish_batch)
        else:
            self.batch, self.pending = batch.batch, batch.pending  # one transaction's outbox
        b = self.batch
        self.store, self.config, self.audit, self.projections = (
            b.store, b.config, b.audit, b.projections)
        self.notices, self.complaints, self.ledger = b.notices, b.complaints, b.ledger
        self.watched, self.settled, self.funds, self.findings = (
            b.watched, b.settled, b.funds, b.findings)

    @property
    def deferred(self) -> Deferred:
        return self.batch.deferred

    def bind(self, delivery: Delivery) -> FakeOversightWork:
        """A unit for one message of this transaction, as the consumer binds it."""
        unit = FakeOversightWork(self.clock, Cause(delivery.correlation_id,
                                                   delivery.message_id), batch=self)
        unit.message = delivery
        return unit

    async def receive(self, event: Event, *handlers: Handler, message_id: str | None = None,
                      headers: dict[str, str] | None = None) -> FakeOversightWork:
        """Deliver `event` in this transaction to `handlers`, as the consumer would; the
        message's own unit."""
        unit = self.bind(delivered(event, self.now(), message_id=message_id,
                                   headers=headers))
        for handler in handlers:
            await handler(event, unit)
        return unit

    async def _finish_batch(self) -> None:
        await self.batch.deferred.run(self)
        self.audit.link()

    async def commit(self) -> None:
        await self._finish()


class FakeUnits:
    """Opens units of work on one store, each committing when its block ends (what the
    background loops and the HTTP commands get)."""

    def __init__(self, clock: Clock, store: MemoryStore | None = None,
                 config: RuleConfig | None = None) -> None:
        self.clock, self.store = clock, store or MemoryStore()
        self.config = config or RuleConfig()
        self.opened: list[FakeOversightWork] = []

    @asynccontextmanager
    async def __call__(self) -> AsyncIterator[FakeOversightWork]:
        uow = FakeOversightWork(self.clock, store=self.store, config=self.config)
        self.opened.append(uow)
        yield uow
        await uow.commit()


def delivered(event: Event, at: datetime, *, message_id: str | None = None,
              correlation_id: str | None = None,
              headers: dict[str, str] | None = None) -> Delivery:
    """A verified delivery of `event`, signed by a throwaway key of its producer."""
    message_id = message_id or new_message_id()
    outbox = Outbox(event.producer, Ed25519PrivateKey.generate(), clock=FixedClock(at))
    signed, body = outbox.envelope(event, message_id=message_id,
                                   correlation_id=correlation_id, causation_id=None,
                                   trace_context={})
    return Delivery(message_id, event.routing_key, event.producer, {**signed, **(headers or {})},
                    body, event, at)
