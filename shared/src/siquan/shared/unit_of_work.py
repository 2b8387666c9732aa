"""The unit of work: one database transaction carrying everything a piece of work needs —
the connection, the events it publishes (written to the outbox when it commits), the inbox
record of the message it handles, the injected clock, and the correlation and causation
ids that tie its events to what caused them.

HTTP commands, message handlers and background loops all run their work through
`UnitsOfWork.__call__`; nothing else opens a transaction. A service subclasses
`UnitOfWork` to reach its repositories (built on `conn`), and writes an in-memory twin on
`FakeUnitOfWork` so its handlers are unit-tested without PostgreSQL or RabbitMQ.

    async with units(correlation_id=request_id) as uow:
        run = await uow.runs.get(run_id)
        run.approve(...)
        uow.publish(PaymentRunApproved(...))
    # committed: the state, the outbox rows — or nothing at all
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, Generic, Literal, TypeVar

import asyncpg
from opentelemetry import propagate

from siquan.contracts.base import Event
from siquan.shared.clock import Clock
from siquan.shared.database import Connection, listening
from siquan.shared.outbox import Outbox, PendingEvent

BeforeCommit = Callable[[], Awaitable[None]]
Isolation = Literal["read_committed", "repeatable_read", "serializable"]


@dataclass(frozen=True)
class Cause:
    """What a piece of work answers: the conversation it belongs to (correlation) and the
    message that caused it (causation; None for an officer's request or a timer)."""

    correlation_id: str | None = None
    causation_id: str | None = None


class UnitOfWork:
    """The parts every unit of work has, whatever stores its state."""

    def __init__(self, clock: Clock, cause: Cause | None = None) -> None:
        self.clock = clock
        self.cause = cause or Cause()
        self.pending: list[PendingEvent] = []
        self.message: Any = None
        """The `consumer.Delivery` being handled (None for a request or a timer)."""
        self._before_commit: list[BeforeCommit] = []

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        """The office's date (in its time zone, not UTC's)."""
        return self.clock.today()

    @property
    def zone(self) -> tzinfo:
        """The office's time zone (the clock's): where its days and months begin."""
        return self.clock.zone

    def publish(self, event: Event) -> str:
        """Queue an event; it reaches the outbox in this unit's transaction. Returns its
        message id (a later event may name it as its causation)."""
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        pending = PendingEvent(event, self.cause.correlation_id, self.cause.causation_id,
                               carrier)
        self.pending.append(pending)
        return pending.message_id

    def before_commit(self, flush: BeforeCommit) -> None:
        """Run `flush` (e.g. a repository writing rows it buffered) just before commit."""
        self._before_commit.append(flush)

    async def _finish(self) -> None:
        for flush in self._before_commit:
            await flush()
        self._before_commit.clear()

    def published(self, kind: type[Event] | None = None) -> list[Event]:
        """The events queued so far (of one type), in order: what a unit test asserts."""
        return [p.event for p in self.pending if kind is None or isinstance(p.event, kind)]


class PgUnitOfWork(UnitOfWork):
    """A unit of work on a PostgreSQL transaction."""

    def __init__(self, conn: Connection, outbox: Outbox, clock: Clock,
                 cause: Cause | None = None) -> None:
        super().__init__(clock, cause)
        self.conn = conn
        self._outbox = outbox

    async def _finish(self) -> None:
        await super()._finish()
        await self._outbox.add_many(self.conn, self.pending)
        self.pending.clear()


class FakeUnitOfWork(UnitOfWork):
    """An in-memory unit of work for unit tests: `committed` tells whether the work
    finished; what it published stays in `pending` (see `published`)."""

    def __init__(self, clock: Clock, cause: Cause | None = None) -> None:
        super().__init__(clock, cause)
        self.committed = False

    async def _finish(self) -> None:
        await super()._finish()
        self.committed = True


W = TypeVar("W", bound=PgUnitOfWork)
UnitFactory = Callable[[Connection, Outbox, Clock, Cause], W]


class UnitsOfWork(Generic[W]):
    """Opens units of work of one service on its pool."""

    def __init__(self, pool: Callable[[], asyncpg.Pool], outbox: Outbox, clock: Clock,
                 make: UnitFactory[W]) -> None:
        self._pool, self._outbox, self._clock, self._make = pool, outbox, clock, make

    @asynccontextmanager
    async def __call__(self, *, correlation_id: str | None = None,
                       causation_id: str | None = None,
                       isolation: Isolation = "read_committed",
                       readonly: bool = False) -> AsyncIterator[W]:
        """One transaction: commits the state and the outbox rows when the block ends,
        rolls everything back when it raises."""
        async with self._pool().acquire() as conn, \
                conn.transaction(isolation=isolation, readonly=readonly):
            uow = self._make(conn, self._outbox, self._clock,
                             Cause(correlation_id, causation_id))
            yield uow
            await uow._finish()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[W]:
        """A read-only unit (queries, pages): it cannot publish or write."""
        async with self(readonly=True) as uow:
            yield uow

    @asynccontextmanager
    async def listening(self, channel: str, callback: Callable[..., None]
                        ) -> AsyncIterator[None]:
        """Hear PostgreSQL NOTIFY on `channel` while the block runs (a connection held
        for listening, outside any transaction)."""
        async with listening(self._pool(), channel, callback):
            yield

    def bind(self, conn: Connection, cause: Cause) -> W:
        """A unit on a transaction the caller opened (the batched consumer, which commits
        many messages' units together); the caller calls `finish`."""
        return self._make(conn, self._outbox, self._clock, cause)

    @staticmethod
    async def finish(uow: PgUnitOfWork) -> None:
        await uow._finish()
