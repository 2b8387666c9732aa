"""Consuming events safely: verify the signature, parse the contract, then run the handler
in one transaction with the inbox row and any outbox rows it writes.

- a redelivered message finds its inbox row and changes nothing;
- a permanent error (bad signature, unknown type, invalid contract, broken rule, a bug)
  dead-letters at once with the reason in a header;
- a transient error (database or network, or `NotYet`: the message came before one it
  depends on) retries with back-off a bounded number of times inside this consumer, then
  dead-letters. This does not rely on the broker's delivery counting, so it behaves the
  same on RabbitMQ 3.10 and 4.x.

aio-pika hands a queue's deliveries (up to the prefetch) to concurrent tasks; a lock per
queue lets one attempt run at a time, in the order the tasks reach it (delivery order), and
is released while an attempt backs off so the messages behind it can go first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from aio_pika.abc import AbstractIncomingMessage
from faststream.rabbit.annotations import RabbitMessage
from pydantic import ValidationError

from siquan.contracts.base import Event, model_for
from siquan.contracts.topology import Subscription
from siquan.shared.database import Connection
from siquan.shared.dead_letters import DeadLetterPublisher
from siquan.shared.outbox import Outbox
from siquan.shared.signing import SignatureError, Verifier

log = logging.getLogger(__name__)


class NotYet(Exception):
    """The message depends on one not handled yet (e.g. a run's completion before its last
    chunk): transient, retried with back-off while later messages are handled."""


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    ConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.SerializationError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
    NotYet,
)


ANY_TYPE = "#"


class RuleBroken(Exception):
    """A domain rule refuses the message: permanent, the message is dead-lettered."""


@dataclass(frozen=True)
class Received:
    """What a handler gets: the parsed event, its identity, and the open transaction."""

    event: Event
    message_id: str
    correlation_id: str
    conn: Connection
    outbox: Outbox
    headers: Mapping[str, Any]
    body: bytes

    async def publish(self, event: Event) -> str:
        """Queue a follow-up event caused by this one, in the same transaction."""
        return await self.outbox.add(self.conn, event, correlation_id=self.correlation_id,
                                     causation_id=self.message_id)


Handler = Callable[[Received], Awaitable[None]]


class EventConsumer:
    """The FastStream handler for one subscription queue; dispatches on the message type."""

    def __init__(self, subscription: Subscription, handlers: Mapping[str, Handler], *,
                 pool: Callable[[], asyncpg.Pool], verifier: Verifier, outbox: Outbox,
                 dead_letters: DeadLetterPublisher, max_attempts: int) -> None:
        self.subscription = subscription
        self._handlers = dict(handlers)
        self._pool, self._verifier, self._outbox = pool, verifier, outbox
        self._dead_letters, self._max_attempts = dead_letters, max_attempts
        self._turn = asyncio.Lock()

    async def __call__(self, msg: RabbitMessage) -> None:
        raw: AbstractIncomingMessage = msg.raw_message
        try:
            await self.consume(raw)
        finally:
            await msg.ack()

    async def consume(self, raw: AbstractIncomingMessage) -> None:
        headers: dict[str, Any] = dict(raw.headers or {})
        message_id = raw.message_id or ""
        try:
            received_type, event = self._parse(message_id, headers, raw.body)
        except (SignatureError, ValidationError, RuleBroken) as exc:
            await self._dead_letter(raw, f"{type(exc).__name__}: {exc}")
            return
        handler = self._handlers.get(received_type) or self._handlers[ANY_TYPE]
        for attempt in range(1, self._max_attempts + 1):
            try:
                async with self._turn:
                    await self._handle(handler, event, message_id, headers, raw.body)
                return
            except TRANSIENT_ERRORS as exc:
                log.warning("transient error on %s (attempt %d): %s", message_id, attempt, exc)
                await asyncio.sleep(min(0.2 * 2 ** attempt, 5.0))
            except RuleBroken as exc:
                await self._dead_letter(raw, f"RuleBroken: {exc}")
                return
            except Exception as exc:  # a bug: keep the message for replay after the fix
                log.exception("handler failed on %s", message_id)
                await self._dead_letter(raw, f"{type(exc).__name__}: {exc}")
                return
        await self._dead_letter(raw, f"transient errors persisted after {self._max_attempts} "
                                     "attempts")

    def _parse(self, message_id: str, headers: Mapping[str, Any],
               body: bytes) -> tuple[str, Event]:
        producer = self._verifier.verify(message_id, headers, body)
        message_type = str(headers.get("x-siquan-type", ""))
        if message_type not in self._handlers and ANY_TYPE not in self._handlers:
            raise RuleBroken(f"{self.subscription.queue} does not accept {message_type!r}")
        try:
            model = model_for(message_type)
        except KeyError as exc:
            raise RuleBroken(f"unknown message type {message_type!r}") from exc
        if model.producer != producer or producer != self.subscription.producer:
            raise RuleBroken(f"{message_type} cannot come from {producer!r}")
        if not message_id:
            raise RuleBroken("message has no message id")
        return message_type, model.model_validate_json(body)

    async def _handle(self, handler: Handler, event: Event, message_id: str,
                      headers: Mapping[str, Any], body: bytes) -> None:
        correlation_id = str(headers.get("x-siquan-correlation-id") or message_id)
        async with self._pool().acquire() as conn, conn.transaction():
            first = await conn.fetchval(
                "INSERT INTO inbox (consumer, message_id, message_type) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING RETURNING true",
                self.subscription.queue, message_id, event.routing_key)
            if not first:
                log.info("duplicate %s on %s ignored", message_id, self.subscription.queue)
                return
            await handler(Received(event, message_id, correlation_id, conn, self._outbox,
                                   headers, body))

    async def _dead_letter(self, raw: AbstractIncomingMessage, reason: str) -> None:
        log.warning("dead-lettering %s from %s: %s", raw.message_id,
                    self.subscription.queue, reason)
        await self._dead_letters.publish(raw, queue=self.subscription.queue, reason=reason)
