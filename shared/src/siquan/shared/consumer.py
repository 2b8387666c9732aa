"""Consuming events: the one middleware every message of every service goes through.

For each queue a `BatchedConsumer` takes deliveries in batches (up to `batch_size`, and
`batch_bytes` of bodies if set, waiting at most `batch_wait` for a batch to fill) and

1. admits each message (`Admission`): signature verified against the producer's accepted
   keys, type accepted by this queue, producer allowed to send it, contract parsed (as a
   tolerant reader: fields this version of the contract does not know are ignored), an
   older major version upcast to the one the queue's handlers take — anything else is
   dead-lettered at once with the reason in a header;
2. runs the handlers of all admitted messages in ONE transaction: the inbox rows (a
   redelivered message finds its row and is skipped), every handler's state changes and
   outbox rows, committed together; then acknowledges them;
3. when anything in the batch fails, rolls the batch back and runs each message alone, so
   one bad message costs one dead letter, not its neighbours': a permanent error
   (`RuleBroken`, a bug) dead-letters it with the reason; a transient one (database or
   network, or `NotYet`: it came before a message it depends on) defers it with back-off
   while the messages behind it go on, and dead-letters it after `max_attempts` — except
   when the error says the database is away (refused, restarting, at its connection
   limit, the session ended): an outage is waited out however long it lasts, as it says
   nothing about the message;
4. hands a batch message (`<type>.batch.v<n>`, ADR 0011) to the audit handlers as it came,
   then each entry to its type's handlers as a single message, in the same transaction.
   When a handler refuses the batch, its entries are handled one by one, each in a
   savepoint with an inbox row of its own, and the batch is dead-lettered naming only the
   entries held back: its replay, after the fix, handles what is left. When an entry came
   before a message it depends on (`NotYet`), the others are handled the same way and the
   batch is deferred for that entry alone (the database away still defers it whole).

Each handler runs in a span continuing the trace of the work that published the message
(when spans are exported anywhere; else in that trace's context, without a span of its
own).
Acknowledgements follow commits, so a crash between the two redelivers what was committed
and the inbox turns the repeat into nothing. This does not rely on the broker counting
deliveries, so it behaves the same on RabbitMQ 3.10 and 4.x.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractIncomingMessage
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind
from pydantic import ValidationError

from siquan.contracts.base import Event, model_for, read
from siquan.contracts.topology import exchange_of
from siquan.contracts.upcasting import upcast
from siquan.shared import crash_points
from siquan.shared.clock import Clock
from siquan.shared.dead_letters import DeadLetterPublisher
from siquan.shared.errors import RuleBroken as RuleBroken  # raised by domain code too
from siquan.shared.logs import current_message_id
from siquan.shared.metrics import ServiceMetrics
from siquan.shared.registry import Route
from siquan.shared.signing import SignatureError, Verifier
from siquan.shared.unit_of_work import Cause, PgUnitOfWork, UnitsOfWork

log = logging.getLogger(__name__)
_tracer = trace.get_tracer("siquan.shared.consumer")


class NotYet(Exception):
    """The message depends on one not handled yet (e.g. a run's completion before its last
    chunk): transient, retried with back-off while later messages are handled."""


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    asyncio.TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
    # every lost session (class 08): a backend ended by pg_terminate_backend or a restart
    # raises ConnectionDoesNotExistError, which is not a ConnectionFailureError
    asyncpg.exceptions.PostgresConnectionError,
    # the client's state of a connection the server dropped mid-statement ("cannot switch
    # to state ...; another operation is in progress"): says nothing of the message
    asyncpg.InternalClientError,
    asyncpg.exceptions.LockNotAvailableError,
    NotYet,
)

UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.PostgresConnectionError,
)
"""The transient errors that say the database is away (restarting, refusing, at its
connection limit, a session ended) rather than anything about the message: retried for as
long as the outage lasts, never counted towards dead-lettering it."""


def spans_recorded() -> bool:
    """Whether a span started now goes anywhere: False when the process's tracer provider
    is the SDK's with no span processor (no exporter, no trace file), where a consumer's
    span per message would be built only to be dropped. Unknown providers record."""
    provider = trace.get_tracer_provider()
    active = getattr(provider, "_active_span_processor", None)
    processors = getattr(active, "_span_processors", None)
    return processors is None or bool(processors)


def database_away(exc: BaseException) -> bool:
    """Whether an error (or what it wraps: SQLAlchemy's, in migrations) says the database
    is away rather than anything about the work."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, UNAVAILABLE_ERRORS) and not isinstance(seen, TimeoutError):
            return True
        seen = getattr(seen, "orig", None) or seen.__cause__
    return False


@dataclass(frozen=True)
class Delivery:
    """An admitted message: its identity, envelope and parsed event."""

    message_id: str
    message_type: str
    producer: str
    headers: Mapping[str, Any]
    body: bytes
    event: Event
    received_at: datetime

    @property
    def correlation_id(self) -> str:
        return str(self.headers.get("x-siquan-correlation-id") or self.message_id)


class Rejected(Exception):
    """Admission refused the message (permanent)."""


class Admission:
    """The checks before any handler sees a message."""

    def __init__(self, route: Route, verifier: Verifier, clock: Clock) -> None:
        self._route, self._verifier, self._clock = route, verifier, clock

    def follow_keys(self) -> None:
        """Take up keys added or retired since (once for a batch, not once a message)."""
        self._verifier.follow()

    def admit(self, raw: AbstractIncomingMessage, *, keys_followed: bool = False
              ) -> Delivery:
        headers: dict[str, Any] = dict(raw.headers or {})
        message_id = raw.message_id or ""
        try:
            producer = self._verifier.verify(message_id, headers, raw.body,
                                             follow=not keys_followed)
        except SignatureError as exc:
            raise Rejected(f"SignatureError: {exc}") from exc
        message_type = str(headers.get("x-siquan-type", ""))
        queue = self._route.subscription
        if not self._route.accepts(message_type):
            raise Rejected(f"RuleBroken: {queue.queue} does not accept {message_type!r:.80}")
        try:
            model = model_for(message_type)
        except KeyError as exc:
            raise Rejected(f"RuleBroken: unknown message type {message_type!r:.80}") from exc
        if model.producer != producer or producer != queue.producer:
            raise Rejected(f"RuleBroken: {message_type} cannot come from {producer!r}")
        try:
            uuid.UUID(message_id)
        except ValueError as exc:
            raise Rejected("RuleBroken: the message id is not a UUID") from exc
        newer = self._route.reads_as.get(message_type)
        try:
            event = read(self._route.narrowed.get(message_type, model), raw.body)
            if newer is not None:
                event = upcast(event, newer)
        except ValidationError as exc:
            raise Rejected(f"ValidationError: {_validation_reason(exc)}") from exc
        except (KeyError, TypeError) as exc:  # an upcaster that does not lead where it says
            raise Rejected(f"RuleBroken: {message_type} cannot be read as the version "
                           f"this queue takes: {exc}") from exc
        return Delivery(message_id, message_type, producer, headers, raw.body, event,
                        self._clock.now())


def _validation_reason(exc: ValidationError) -> str:
    """Where the contract was broken, without echoing the values (they may be personal)."""
    parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['type']}" for e in exc.errors()[:5]]
    return f"{exc.error_count()} error(s) in the contract: " + "; ".join(parts)


@dataclass
class _Held:
    """A message waiting for another attempt."""

    raw: AbstractIncomingMessage
    delivery: Delivery
    attempts: int
    due: float


@dataclass
class ConsumerSettings:
    batch_size: int = 200
    batch_wait: float = 0.02
    batch_bytes: int = 0
    """Stop filling a batch once its bodies hold this many bytes (0: no limit)."""
    bulk_ack: bool = False
    """Acknowledge a committed batch with one `multiple` acknowledgement when it can."""
    max_attempts: int = 5
    backoff_base: float = 0.2
    backoff_max: float = 5.0
    prefetch: int = field(default=0)

    def effective_prefetch(self) -> int:
        return self.prefetch or self.batch_size * 2


class BatchedConsumer:
    """Consumes one queue for one service instance (any number of instances compete)."""

    def __init__(self, route: Route, units: UnitsOfWork[Any], verifier: Verifier,
                 dead_letters: DeadLetterPublisher, settings: ConsumerSettings,
                 clock: Clock, metrics: ServiceMetrics | None = None) -> None:
        self.route, self._units, self._dead_letters = route, units, dead_letters
        self._admission = Admission(route, verifier, clock)
        self._settings, self._clock, self._metrics = settings, clock, metrics
        self._held: list[_Held] = []
        self.queue = route.subscription.queue
        self._channel: AbstractChannel | None = None
        self._labels = {"queue": self.queue}

    async def run(self, connection: AbstractConnection) -> None:
        """Consume until cancelled or the channel closes (then the link reconnects)."""
        channel = await connection.channel()
        self._channel = channel
        await channel.set_qos(prefetch_count=self._settings.effective_prefetch())
        await self._dead_letters.open(connection)
        self._held.clear()  # a new channel: the old deliveries come again
        arrivals: asyncio.Queue[AbstractIncomingMessage | None] = asyncio.Queue()
        channel.close_callbacks.add(lambda *_: arrivals.put_nowait(None))
        queue = await channel.get_queue(self.queue, ensure=False)
        await queue.consume(arrivals.put, no_ack=False)
        while True:
            batch = await self._next_batch(arrivals, channel)
            if batch:
                await self.process(batch)

    async def _next_batch(self, arrivals: asyncio.Queue[AbstractIncomingMessage | None],
                          channel: AbstractChannel) -> list[_Held]:
        size, wait = self._settings.batch_size, self._settings.batch_wait
        due = self._take_due()
        batch: list[_Held] = list(due)
        if not batch:
            timeout = self._until_next_due()
            try:
                first = await asyncio.wait_for(arrivals.get(), timeout)
            except TimeoutError:
                return self._take_due()
            batch.append(self._fresh(first, channel))
        deadline, cap = time.monotonic() + wait, self._settings.batch_bytes
        held_bytes = sum(len(h.raw.body) for h in batch)
        while len(batch) < size and not (cap and held_bytes >= cap):
            try:
                raw = arrivals.get_nowait()
            except asyncio.QueueEmpty:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    raw = await asyncio.wait_for(arrivals.get(), left)
                except TimeoutError:
                    break
            batch.append(self._fresh(raw, channel))
            held_bytes += len(batch[-1].raw.body)
        return batch

    def _fresh(self, raw: AbstractIncomingMessage | None, channel: AbstractChannel) -> _Held:
        if raw is None or channel.is_closed:
            raise ConnectionError(f"channel of {self.queue} closed")
        return _Held(raw, _UNADMITTED, 0, 0.0)

    def _take_due(self) -> list[_Held]:
        now = time.monotonic()
        due = [h for h in self._held if h.due <= now]
        self._held = [h for h in self._held if h.due > now]
        return due

    def _until_next_due(self) -> float | None:
        if not self._held:
            return None
        return max(0.0, min(h.due for h in self._held) - time.monotonic())

    async def depth(self) -> int | None:
        """Messages ready in the queue (a passive declare); None while not connected."""
        if self._channel is None or self._channel.is_closed:
            return None
        queue = await self._channel.declare_queue(self.queue, passive=True)
        ready = queue.declaration_result.message_count
        return int(ready) if ready is not None else None

    def _count(self, outcome: str, n: int = 1) -> None:
        if self._metrics is not None and n:
            self._metrics.messages.add(n, {"queue": self.queue, "outcome": outcome})

    async def process(self, batch: list[_Held]) -> None:
        """Admit, handle and acknowledge one batch (public for tests)."""
        began = time.monotonic()
        try:
            await self._process(batch)
        finally:
            if self._metrics is not None:
                self._metrics.batch_duration.record(time.monotonic() - began, self._labels)

    async def _process(self, batch: list[_Held]) -> None:
        admitted: list[_Held] = []
        self._admission.follow_keys()
        for held in batch:
            if held.delivery is _UNADMITTED:
                try:
                    held.delivery = self._admission.admit(held.raw, keys_followed=True)
                except Rejected as exc:
                    await self._dead_letter(held.raw, str(exc))
                    continue
            admitted.append(held)
        if len(admitted) == 1:
            await self._handle_alone(admitted[0])
            return
        if not admitted:
            return
        try:
            await self._handle_together(admitted)
        except Exception as exc:
            log.info("%s: batch of %d rolled back (%s: %s); handling each alone",
                     self.queue, len(admitted), type(exc).__name__, exc)
            for held in admitted:
                await self._handle_alone(held)
            return
        await self._acknowledge(admitted)

    async def _acknowledge(self, committed: list[_Held]) -> None:
        """Acknowledge a committed batch. With `bulk_ack`, and no deferred message waiting on
        the channel (everything delivered before this batch's last message is then settled
        or in this batch), one acknowledgement covers the batch; else one per message."""
        self._count("handled", len(committed))
        self._lag(committed[-1].delivery)
        if self._settings.bulk_ack and not self._held:
            last = max(committed, key=lambda held: held.raw.delivery_tag or 0)
            await last.raw.ack(multiple=True)
            return
        for held in committed:
            await held.raw.ack()

    def _lag(self, delivery: Delivery) -> None:
        if self._metrics is None:
            return
        try:
            occurred = datetime.fromisoformat(str(delivery.headers["x-siquan-occurred-at"]))
        except (KeyError, ValueError):
            return
        lag = max(0.0, (self._clock.now() - occurred).total_seconds())
        self._metrics.consumer_lag.set(lag, **self._labels)

    async def _handle_together(self, batch: list[_Held]) -> None:
        async with self._units() as base:
            fresh = await self._claim(base, [h.delivery for h in batch])
            for held in batch:
                if held.delivery.message_id in fresh:
                    fresh.discard(held.delivery.message_id)  # a copy in the same batch
                    await self._run_handlers(base, held.delivery)
            crash_points.reached("consumer.mid_batch")
        crash_points.reached("consumer.after_commit")

    async def _handle_alone(self, held: _Held) -> None:
        held.attempts += 1
        batch = held.delivery.message_type in self.route.entries
        try:
            await self._handle_together([held])
        except RuleBroken as exc:
            failure = f"RuleBroken: {exc}"
        except NotYet as exc:
            if batch:  # perhaps one entry's: the others need not wait for it
                await self._batch_apart(held, exc, None)
            else:
                await self._defer(held, exc)
            return
        except TRANSIENT_ERRORS as exc:
            await self._defer(held, exc)
            return
        except Exception as exc:  # a bug: keep the message for replay after the fix
            log.exception("%s: handler failed on %s", self.queue, held.delivery.message_id)
            failure = f"{type(exc).__name__}: {exc}"
        else:
            await held.raw.ack()
            self._count("handled")
            self._lag(held.delivery)
            return
        if batch:
            await self._batch_apart(held, None, failure)
            return
        await self._dead_letter(held.raw, failure)

    async def _batch_apart(self, held: _Held, not_yet: NotYet | None, failure: str | None
                           ) -> None:
        """A batch that failed whole, refused (`failure`) or waiting on a message it depends
        on (`not_yet`), handled entry by entry: deferred while an entry still waits on what
        it depends on, else dead-lettered naming the entries held back, or for what failed
        the batch whole when every entry went through."""
        try:
            held_back, waiting = await self._handle_apart(held.delivery)
        except TRANSIENT_ERRORS as exc:
            await self._defer(held, exc)
            return
        wait = waiting or (not_yet if held_back is None else None)
        if wait is not None:
            await self._defer(held, wait)
            return
        await self._dead_letter(held.raw, held_back or failure or "")

    async def _defer(self, held: _Held, exc: BaseException) -> None:
        """Try a message again after a pause, or dead-letter it after `max_attempts` (an
        outage of the database never counts towards them)."""
        if database_away(exc):
            held.attempts = min(held.attempts, self._settings.max_attempts - 1)
        elif held.attempts >= self._settings.max_attempts:
            await self._dead_letter(held.raw, f"transient errors persisted after "
                                              f"{held.attempts} attempts: "
                                              f"{type(exc).__name__}: {exc}")
            return
        pause = min(self._settings.backoff_base * 2 ** held.attempts,
                    self._settings.backoff_max)
        log.warning("%s: %s deferred %.1fs (attempt %d): %s: %s", self.queue,
                    held.delivery.message_id, pause, held.attempts, type(exc).__name__, exc)
        held.due = time.monotonic() + pause
        self._held.append(held)
        self._count("deferred")

    async def _handle_apart(self, batch: Delivery) -> tuple[str | None, NotYet | None]:
        """A batch failed whole, entry by entry: each in a savepoint with an inbox row of
        its own message id, so every entry that can be handled is, and the batch is
        dead-lettered or deferred for those that cannot; its replay or its next delivery
        handles only what is left (and the audit handlers, which take the batch whole,
        then). The reason for the dead letter, naming the entries held back (None when
        none was), and the first entry's `NotYet` when an entry came before a message it
        depends on (None when none did)."""
        held_back: list[str] = []
        first = ""
        waiting: NotYet | None = None
        async with self._units() as base:
            done = await self._entries_done(base, batch)
            for item in self._entries(batch):
                if item.message_id in done:
                    continue
                try:
                    async with base.conn.transaction():
                        await base.conn.execute(
                            "INSERT INTO inbox (consumer, message_id, message_type)"
                            " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                            self.queue, item.message_id, item.message_type)
                        await self._run_entry(base, batch, item)
                except NotYet as exc:  # the batch comes again for it
                    log.info("%s: entry %s of %s waits: %s", self.queue, item.message_id,
                             batch.message_id, exc)
                    waiting = waiting or exc
                except TRANSIENT_ERRORS:
                    raise
                except Exception as exc:
                    if not isinstance(exc, RuleBroken):
                        log.exception("%s: handler failed on entry %s of %s", self.queue,
                                      item.message_id, batch.message_id)
                    held_back.append(item.message_id)
                    first = first or (f"RuleBroken: {exc}" if isinstance(exc, RuleBroken)
                                      else f"{type(exc).__name__}: {exc}")
        if not held_back:
            return None, waiting
        count = len(batch.event.events)  # type: ignore[attr-defined]
        named = ", ".join(held_back[:5]) + (", ..." if len(held_back) > 5 else "")
        return (f"{first} (entr{'y' if len(held_back) == 1 else 'ies'} {named}; "
                f"{len(held_back)} of {count} entries held back, the others handled)",
                waiting)

    async def _claim(self, uow: PgUnitOfWork, deliveries: list[Delivery]) -> set[str]:
        """Insert the inbox rows; the ids not seen before."""
        rows = await uow.conn.fetch(
            "INSERT INTO inbox (consumer, message_id, message_type)"
            " SELECT $1, m.id, m.kind FROM unnest($2::uuid[], $3::text[]) AS m(id, kind)"
            " ON CONFLICT DO NOTHING RETURNING message_id",
            self.queue, [d.message_id for d in deliveries],
            [d.message_type for d in deliveries])
        fresh = {str(r["message_id"]) for r in rows}
        if len(fresh) < len(deliveries):
            log.info("%s: %d redelivered message(s) skipped", self.queue,
                     len(deliveries) - len(fresh))
            self._count("duplicate", len(deliveries) - len(fresh))
        return fresh

    async def _run_handlers(self, base: PgUnitOfWork, delivery: Delivery) -> None:
        cause = Cause(delivery.correlation_id, delivery.message_id)
        uow = self._units.bind(base.conn, cause)
        uow.message = delivery
        marker = current_message_id.set(delivery.message_id)
        parent = propagate.extract(delivery.headers)
        if not spans_recorded():  # no span would go anywhere: the trace continues alone
            token = otel_context.attach(parent)
            try:
                await self._handle(uow, delivery)
            finally:
                otel_context.detach(token)
                current_message_id.reset(marker)
            return
        with _tracer.start_as_current_span(
                f"{exchange_of(delivery.producer)}.{delivery.message_type} process",
                context=parent, kind=SpanKind.CONSUMER,
                attributes={"messaging.system": "rabbitmq",
                            "messaging.destination.name": self.queue,
                            "messaging.message.id": delivery.message_id,
                            "siquan.message_type": delivery.message_type}):
            try:
                await self._handle(uow, delivery)
            finally:
                current_message_id.reset(marker)

    async def _handle(self, uow: PgUnitOfWork, delivery: Delivery) -> None:
        for handler in self.route.handlers_for(delivery.message_type):
            await handler(delivery.event, uow)
        await UnitsOfWork.finish(uow)
        entry_key = self.route.entries.get(delivery.message_type)
        if entry_key is not None:
            await self._handle_entries(uow, delivery, entry_key)

    async def _handle_entries(self, base: PgUnitOfWork, batch: Delivery, entry_key: str
                              ) -> None:
        """A batch's entries, in order, each as its own message would be handled. They
        commit with the batch (whose message id the inbox records) or none does; an entry
        already handled when the batch was handled apart (`_handle_apart`) is skipped."""
        if not self.route.handlers.get(entry_key):
            return
        done = await self._entries_done(base, batch)
        for item in self._entries(batch):
            if item.message_id not in done:
                await self._run_entry(base, batch, item)

    def _entries(self, batch: Delivery) -> Iterator[Delivery]:
        """A batch's entries as deliveries: each its own message id (the causation of what
        its handling publishes), read as the version the handlers take."""
        entry_key = self.route.entries[batch.message_type]
        newer = self.route.reads_as.get(entry_key)
        headers = {**batch.headers, "x-siquan-type": entry_key}
        for entry in batch.event.events:  # type: ignore[attr-defined]
            event = entry.event if newer is None else upcast(entry.event, newer)
            yield Delivery(entry.message_id, entry_key, batch.producer, headers, b"", event,
                           batch.received_at)

    async def _entries_done(self, base: PgUnitOfWork, batch: Delivery) -> set[str]:
        """The entries of a batch this queue took one by one before (one index probe per
        batch: the inbox holds entry ids only of batches handled apart)."""
        rows = await base.conn.fetch(
            "SELECT message_id FROM inbox WHERE consumer = $1 AND message_id = ANY($2::uuid[])",
            self.queue, [e.message_id for e in batch.event.events])  # type: ignore[attr-defined]
        return {str(r["message_id"]) for r in rows}

    async def _run_entry(self, base: PgUnitOfWork, batch: Delivery, item: Delivery) -> None:
        uow = self._units.bind(base.conn, Cause(batch.correlation_id, item.message_id))
        uow.message = item
        for handler in self.route.handlers.get(item.message_type, ()):
            await handler(item.event, uow)
        await UnitsOfWork.finish(uow)

    async def _dead_letter(self, raw: AbstractIncomingMessage, reason: str) -> None:
        log.warning("dead-lettering %s from %s: %s", raw.message_id, self.queue, reason)
        await self._dead_letters.publish(raw, queue=self.queue, reason=reason)
        await raw.ack()
        self._count("dead_lettered")
        if self._metrics is not None:
            self._metrics.dead_letters.add(1, self._labels)


_UNADMITTED: Any = object()
