"""Oversight's backlog as the broker counts it: the dead letters waiting in its own
dead-letter queue (never replayed nor discarded) and the messages ready in each queue it
consumes, read with passive declares on a channel of the service's broker link (reading
a dead letter would count as a delivery, so they are counted, never peeked at).

Counting is also what keeps the operational alert current: `siquan_dead_letters_waiting`
(a gauge, by service) and the `/operations/dead-letters` endpoint report it; a dead letter
is never a finding.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractConnection

from siquan.contracts.topology import Subscription, dead_letter_queue_of
from siquan.oversight.reconciliation.application.evidence import (
    ANY_PRODUCER,
    Backlog,
    backlog_of,
)
from siquan.shared.metrics import Gauge

log = logging.getLogger(__name__)


@dataclass
class Counts:
    """What the broker said at `read_at` (None: it could not be asked)."""

    dead_letters: int | None = None
    queued: dict[str, int | None] = field(default_factory=dict)
    """Queue → messages ready."""
    read_at: float = 0.0


class BrokerBacklog:
    """Counts a service's dead letters and queued messages; a producer whose backlog cleared
    less than `grace_seconds` ago is still counted as pending (its last messages may be in
    a transaction not yet committed)."""

    def __init__(self, service: str, subscriptions: tuple[Subscription, ...],
                 grace_seconds: float, gauge: Gauge | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._service, self._subscriptions = service, subscriptions
        self._grace, self._gauge, self._monotonic = grace_seconds, gauge, monotonic
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._lock = asyncio.Lock()
        self._busy_until: dict[str, float] = {}
        self._failed_until = 0.0
        self.last = Counts()

    async def run(self, connection: AbstractConnection) -> None:
        """A work of the broker link: keep its connection until the link drops it."""
        self._connection, self._channel = connection, None
        try:
            await asyncio.Event().wait()
        finally:
            self._connection = self._channel = None

    async def _count(self, queue: str) -> int | None:
        if self._connection is None or self._connection.is_closed:
            return None
        try:
            if self._channel is None or self._channel.is_closed:
                self._channel = await self._connection.channel()
            async with asyncio.timeout(5.0):
                declared = await self._channel.declare_queue(queue, passive=True)
        except (aio_pika.exceptions.AMQPError, OSError, ConnectionError, TimeoutError,
                RuntimeError) as exc:  # counted as unknown: never a failed request
            log.warning("cannot count %s: %s", queue, type(exc).__name__)
            self._channel = None
            return None
        count = declared.declaration_result.message_count
        return int(count) if count is not None else None

    async def counts(self) -> Counts:
        """The dead letters waiting and the messages ready in each queue, now."""
        async with self._lock:
            dead = await self._count(dead_letter_queue_of(self._service))
            queued = {s.queue: await self._count(s.queue) for s in self._subscriptions}
        self.last = Counts(dead, queued, self._monotonic())
        if self._gauge is not None and dead is not None:
            self._gauge.set(float(dead), service=self._service)
        return self.last

    async def __call__(self) -> Backlog:
        counts, now = await self.counts(), self._monotonic()
        producer_of = {s.queue: s.producer for s in self._subscriptions}
        busy: dict[str, int] = {}
        unknown: list[str] = []
        if counts.dead_letters is None:
            unknown.append(ANY_PRODUCER)
        for queue, ready in counts.queued.items():
            if ready is None:
                unknown.append(producer_of[queue])
            elif ready:
                busy[producer_of[queue]] = busy.get(producer_of[queue], 0) + ready
        if counts.dead_letters:
            self._busy_until[ANY_PRODUCER] = self._failed_until = now + self._grace
        for producer in [*busy, *unknown]:
            self._busy_until[producer] = now + self._grace
        settling = [p for p, until in self._busy_until.items()
                    if until > now and p not in busy and p not in unknown
                    and not (p == ANY_PRODUCER and counts.dead_letters)]
        return backlog_of(dead_letters=[(ANY_PRODUCER, counts.dead_letters or 0)],
                          queued=busy.items(), settling=settling, unknown=unknown,
                          replayed=[ANY_PRODUCER] if self._failed_until > now else [])
