"""The outbox relay: publishes committed outbox rows with publisher confirms, in batches
whose confirms are awaited together, and marks them published. A crash before the mark
republishes the batch; consumers' inboxes make that harmless.

It publishes on a channel of its own, through the AMQP client under aio-pika (aiormq):
each row already carries the `traceparent` of the work that wrote it, so the consumer's
span continues that trace, and a producer span per message (what FastStream's publish
adds) would cost more than half the relay's throughput for nothing a trace needs; aio-pika's
message and exchange objects cost a fifth of what is left, and waiting for each frame to
be written before the next is queued does not make a confirm any surer. A nack raises
(`DeliveryError`), so the batch is not marked and is published again."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiormq
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractConnection
from pamqp.commands import Basic

from siquan.shared import crash_points
from siquan.shared.database import listening
from siquan.shared.messaging_schema import OUTBOX_NOTIFY_CHANNEL

log = logging.getLogger(__name__)

_CLAIM = """
SELECT id, message_id, exchange, routing_key, headers, body FROM outbox
WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, *, batch_size: int, idle_seconds: float) -> None:
        self._pool = pool
        self._batch_size, self._idle = batch_size, idle_seconds
        self._wake = asyncio.Event()
        self._opened: AbstractChannel | None = None  # kept: it owns the channel below
        self._channel: aiormq.Channel | None = None
        self.published = 0

    async def run(self, connection: AbstractConnection) -> None:
        """Publish until cancelled (a `BrokerLink` work); wakes on NOTIFY from a committing
        writer or every idle period."""
        self._opened = await connection.channel(publisher_confirms=True)
        underlay = await self._opened.get_underlay_channel()
        assert isinstance(underlay, aiormq.Channel), underlay
        self._channel = underlay
        await self._loop()

    async def _loop(self) -> None:
        async with listening(self._pool, OUTBOX_NOTIFY_CHANNEL, self._on_notify):
            while True:
                try:
                    published = await self.publish_batch()
                except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                    log.warning("outbox relay: database: %s; retrying", exc)
                    published = 0
                if published < self._batch_size:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), self._idle)
                    except TimeoutError:
                        pass

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()

    async def publish_batch(self) -> int:
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_CLAIM, self._batch_size)
            if not rows:
                return 0
            crash_points.reached("relay.before_publish")
            await asyncio.gather(*(self._publish(row) for row in rows))
            crash_points.reached("relay.after_publish")
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1)",
                               [row["id"] for row in rows])
        self.published += len(rows)
        return len(rows)

    async def _publish(self, row: asyncpg.Record) -> None:
        assert self._channel is not None, "relay not running"
        headers: dict[str, Any] = dict(row["headers"])
        # passive: only provisioning declares exchanges
        await self._channel.basic_publish(
            bytes(row["body"]), exchange=row["exchange"], routing_key=row["routing_key"],
            properties=Basic.Properties(
                headers=headers, message_id=str(row["message_id"]),
                correlation_id=headers.get("x-siquan-correlation-id"),
                message_type=row["routing_key"], content_type="application/json",
                delivery_mode=2),  # persistent
            mandatory=False, wait=False)
