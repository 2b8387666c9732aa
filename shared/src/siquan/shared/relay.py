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
lost channel raises, so the batch is not marked and is published again.

The frames are marshalled here: the publish method frame once per exchange and routing
key, and the content header (the properties every outbox row has: content type, its
signed headers, persistence, correlation and message id, type) by `content_header`, which
gives the bytes pamqp's `ContentHeader` marshals (a test holds them equal) at a fraction of
its cost; pamqp's general property encoder was half of the relay's time."""

from __future__ import annotations

import asyncio
import logging
import struct
from collections.abc import Mapping
from typing import Any

import aiormq
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractConnection
from aiormq.abc import ChannelFrame
from pamqp import frame as amqp_frame
from pamqp.body import ContentBody
from pamqp.commands import Basic
from pamqp.constants import FRAME_END, FRAME_HEADER
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
        self._frames: dict[tuple[int, str, str], bytes] = {}
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
        number, size = channel.number, channel.max_content_size
        parts: list[bytes] = []
        written = 0
        confirmations: list[asyncio.Future[Any]] = []

        async def write() -> None:
            await channel.write_queue.put(ChannelFrame(payload=b"".join(parts),
                                                       should_close=False))

        async with channel.lock:
            for row in rows:
                if written >= _WRITE_BYTES:  # the writer's queue is bounded: so is memory
                    await write()
                    parts, written = [], 0
                body = bytes(row["body"])
                written += len(body)
                headers: Mapping[str, Any] = row["headers"]
                channel.delivery_tag += 1
                confirmation = channel.create_future()
                channel.confirmations[channel.delivery_tag] = confirmation
                confirmations.append(confirmation)
                routing_key = row["routing_key"]
                parts.append(self._publish_frame(number, row["exchange"], routing_key))
                parts.append(content_header(
                    number, len(body), headers, message_id=str(row["message_id"]),
                    correlation_id=headers.get("x-siquan-correlation-id"),
                    message_type=routing_key))
                parts.extend(amqp_frame.marshal(ContentBody(body[at:at + size]), number)
                             for at in range(0, len(body), size))
            await write()
        await asyncio.gather(*confirmations)

    def _publish_frame(self, channel_number: int, exchange: str, routing_key: str) -> bytes:
        """The method frame for an exchange and routing key, built (and checked) and
        marshalled once; passive: only provisioning declares exchanges."""
        key = (channel_number, exchange, routing_key)
        frame = self._frames.get(key)
        if frame is None:
            frame = self._frames[key] = amqp_frame.marshal(
                Basic.Publish(exchange=exchange, routing_key=routing_key), channel_number)
        return frame


_PROPERTIES = 0x8000 | 0x2000 | 0x1000
"""The property flags of what every outbox message has (pamqp's `Basic.Properties.flags`):
content type, headers, delivery mode; then the short strings it has, when not empty."""
_CORRELATION, _MESSAGE_ID, _TYPE = 0x0400, 0x0080, 0x0020
_JSON = b"\x10application/json"
_PERSISTENT = b"\x02"
_HEAD = struct.Struct(">HHQH")  # class, weight, body size, property flags
_FRAME = struct.Struct(">BHI")  # frame type, channel, payload size
_LONG = struct.Struct(">I")


def content_header(channel_number: int, body_size: int, headers: Mapping[str, Any], *,
                   message_id: str, correlation_id: str | None, message_type: str) -> bytes:
    """The content header frame of a persistent JSON message with these headers and ids:
    the bytes `pamqp.frame.marshal(ContentHeader(...))` gives, its field table sorted by
    key. Headers other than short keys with string values go through pamqp."""
    table: list[bytes] = []
    for key, value in sorted(headers.items()):
        name = key.encode()
        if not isinstance(value, str) or len(name) > 128:
            return _pamqp_header(channel_number, body_size, headers, message_id=message_id,
                                 correlation_id=correlation_id, message_type=message_type)
        data = value.encode()
        table += (len(name).to_bytes(1, "big"), name, b"S", _LONG.pack(len(data)), data)
    encoded = b"".join(table)
    flags = _PROPERTIES
    shorts: list[bytes] = []
    for flag, short in ((_CORRELATION, correlation_id), (_MESSAGE_ID, message_id),
                        (_TYPE, message_type)):
        if short:  # pamqp leaves out an empty property
            flags |= flag
            data = short.encode()
            shorts += (len(data).to_bytes(1, "big"), data)  # past 255 bytes: OverflowError
    payload = [_HEAD.pack(Basic.frame_id, 0, body_size, flags), _JSON,
               _LONG.pack(len(encoded)), encoded, _PERSISTENT, *shorts]
    content = b"".join(payload)
    return b"".join((_FRAME.pack(FRAME_HEADER, channel_number, len(content)), content,
                     bytes((FRAME_END,))))


def _pamqp_header(channel_number: int, body_size: int, headers: Mapping[str, Any], *,
                  message_id: str, correlation_id: str | None, message_type: str) -> bytes:
    return amqp_frame.marshal(ContentHeader(body_size=body_size, properties=Basic.Properties(
        headers=dict(headers), message_id=message_id, correlation_id=correlation_id,
        message_type=message_type, content_type="application/json", delivery_mode=2)),
        channel_number)
