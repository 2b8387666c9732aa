"""The outbox relay: publishes committed outbox rows with publisher confirms, in batches
whose confirms are awaited together, and marks them published. A crash before the mark
republishes the batch; consumers' inboxes make that harmless.

It publishes on a channel of its own, through the AMQP client under aio-pika (aiormq):
each row already carries the `traceparent` of the work that wrote it, so the consumer's
span continues that trace, and a producer span per message (what FastStream's publish
adds) would cost more than half the relay's throughput for nothing a trace needs. A batch
is written as one run of frames under the channel's lock, each message with the delivery
tag and confirmation future aiormq's own `basic_publish` gives it (aiormq settles them as
the broker's acks and nacks arrive, and fails them if the channel closes): publishing one
message at a time through aiormq (its lock, queue and write per message) or aio-pika (its
message and exchange objects besides) cost three times as much per message. A nack or a
lost channel raises, so the batch is not marked and is published again."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiormq
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractConnection
from aiormq.abc import ChannelFrame
from pamqp.body import ContentBody
from pamqp.commands import Basic
from pamqp.header import ContentHeader

from siquan.shared import crash_points
from siquan.shared.database import listening
from siquan.shared.messaging_schema import OUTBOX_NOTIFY_CHANNEL

log = logging.getLogger(__name__)

_CLAIM = """
SELECT id, message_id, exchange, routing_key, headers, body FROM outbox
WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED
"""


_WRITE_BYTES = 1 << 20
"""Messages are written in runs of about this many bytes of bodies (a payments chunk is
a few hundred KiB), one write each."""


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, *, batch_size: int, idle_seconds: float) -> None:
        self._pool = pool
        self._batch_size, self._idle = batch_size, idle_seconds
        self._wake = asyncio.Event()
        self._opened: AbstractChannel | None = None  # kept: it owns the channel below
        self._channel: aiormq.Channel | None = None
        self._frames: dict[tuple[str, str], Basic.Publish] = {}
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
            await self._publish(rows)
            crash_points.reached("relay.after_publish")
            await conn.execute("UPDATE outbox SET published_at = now() WHERE id = ANY($1)",
                               [row["id"] for row in rows])
        self.published += len(rows)
        return len(rows)

    async def _publish(self, rows: list[asyncpg.Record]) -> None:
        """Write the rows' messages together and wait for the broker to confirm each."""
        channel = self._channel
        assert channel is not None, "relay not running"
        frames: list[Any] = []
        written = 0
        confirmations: list[asyncio.Future[Any]] = []

        async def write() -> None:
            await channel.write_queue.put(
                ChannelFrame.marshall(channel_number=channel.number, frames=frames))

        async with channel.lock:
            for row in rows:
                if written >= _WRITE_BYTES:  # the writer's queue is bounded: so is memory
                    await write()
                    frames, written = [], 0
                body = bytes(row["body"])
                written += len(body)
                headers: dict[str, Any] = dict(row["headers"])
                channel.delivery_tag += 1
                confirmation = channel.create_future()
                channel.confirmations[channel.delivery_tag] = confirmation
                confirmations.append(confirmation)
                frames.append(self._publish_frame(row["exchange"], row["routing_key"]))
                frames.append(ContentHeader(body_size=len(body), properties=Basic.Properties(
                    headers=headers, message_id=str(row["message_id"]),
                    correlation_id=headers.get("x-siquan-correlation-id"),
                    message_type=row["routing_key"], content_type="application/json",
                    delivery_mode=2)))  # persistent
                size = channel.max_content_size
                frames.extend(ContentBody(body[at:at + size])
                              for at in range(0, len(body), size))
            await write()
        await asyncio.gather(*confirmations)

    def _publish_frame(self, exchange: str, routing_key: str) -> Basic.Publish:
        """The method frame for an exchange and routing key, built (and checked) once;
        passive: only provisioning declares exchanges."""
        key = (exchange, routing_key)
        frame = self._frames.get(key)
        if frame is None:
            frame = self._frames[key] = Basic.Publish(exchange=exchange,
                                                      routing_key=routing_key)
        return frame
