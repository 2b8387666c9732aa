"""The outbox relay: publishes committed outbox rows with publisher confirms, in batches
whose confirms are awaited together, and marks them published. A crash before the mark
republishes the batch; consumers' inboxes make that harmless."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import asyncpg
from faststream.rabbit import ExchangeType, RabbitBroker, RabbitExchange
from opentelemetry import context as otel_context
from opentelemetry import propagate

from siquan.shared.messaging_schema import OUTBOX_NOTIFY_CHANNEL

log = logging.getLogger(__name__)

_CLAIM = """
SELECT id, message_id, exchange, routing_key, headers, body FROM outbox
WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, broker: RabbitBroker, *, batch_size: int,
                 idle_seconds: float) -> None:
        self._pool, self._broker = pool, broker
        self._batch_size, self._idle = batch_size, idle_seconds
        self._wake = asyncio.Event()
        self._exchanges: dict[str, RabbitExchange] = {}

    async def run(self) -> None:
        """Publish until cancelled; wakes on NOTIFY from a committing writer or every idle."""
        async with self._pool.acquire() as listener:
            await listener.add_listener(OUTBOX_NOTIFY_CHANNEL, self._on_notify)
            try:
                while True:
                    try:
                        published = await self.publish_batch()
                    except (OSError, asyncpg.PostgresError, ConnectionError) as exc:
                        log.warning("outbox relay: %s; retrying", exc)
                        published = 0
                    if published < self._batch_size:
                        self._wake.clear()
                        try:
                            await asyncio.wait_for(self._wake.wait(), self._idle)
                        except TimeoutError:
                            pass
            finally:
                await listener.remove_listener(OUTBOX_NOTIFY_CHANNEL, self._on_notify)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def publish_batch(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self._batch_size)
            if not rows:
                return 0
            await asyncio.gather(*(self._publish(row) for row in rows))
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1)",
                               [row["id"] for row in rows])
            return len(rows)

    async def _publish(self, row: asyncpg.Record) -> None:
        headers: dict[str, Any] = dict(row["headers"])
        token = otel_context.attach(propagate.extract(headers))
        try:
            await self._broker.publish(
                bytes(row["body"]),
                exchange=self._exchange(row["exchange"]),
                routing_key=row["routing_key"],
                headers=headers,
                message_id=str(row["message_id"]),
                correlation_id=headers.get("x-siquan-correlation-id"),
                message_type=row["routing_key"],
                content_type="application/json",
                persist=True,
                mandatory=False,
            )
        finally:
            otel_context.detach(token)

    def _exchange(self, name: str) -> RabbitExchange:
        if name not in self._exchanges:
            self._exchanges[name] = RabbitExchange(name, type=ExchangeType.TOPIC, durable=True,
                                                   declare=False)
        return self._exchanges[name]
