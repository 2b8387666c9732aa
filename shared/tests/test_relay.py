"""The outbox relay on the real broker and database: a batch's messages arrive whole
(bodies longer than one frame among them, more than one write's worth), in the outbox's
order, with their headers and ids, and are marked published; a batch the broker refuses
is not marked."""

import asyncio
import secrets
import uuid
from collections.abc import AsyncIterator

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage

from siquan.shared.messaging_schema import MESSAGING_DDL
from siquan.shared.relay import OutboxRelay
from siquan.shared.testing.databases import scratch_pool
from siquan.shared.testing.waiting import eventually

LONG = b'{"payments": "' + b"x" * 300_000 + b'"}'  # past RabbitMQ's 128 KiB frame


@pytest.fixture
async def pool(servers: tuple[str, str]) -> AsyncIterator[asyncpg.Pool]:
    async with scratch_pool(servers[1], "siquan_t_relay", MESSAGING_DDL) as created:
        yield created


@pytest.fixture
async def connection(servers: tuple[str, str]) -> AsyncIterator[AbstractConnection]:
    opened = await aio_pika.connect(servers[0])
    try:
        yield opened
    finally:
        await opened.close()


async def _queue_on(connection: AbstractConnection, exchange: str
                    ) -> aio_pika.abc.AbstractQueue:
    """An exclusive queue bound to a new exchange (both gone with the connection)."""
    channel = await connection.channel()
    declared = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC,
                                              auto_delete=True)
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(declared, "#")
    return queue


async def _write(pool: asyncpg.Pool, exchange: str, bodies: list[bytes]) -> list[str]:
    ids = [str(uuid.uuid4()) for _ in bodies]
    await pool.executemany(
        "INSERT INTO outbox (message_id, exchange, routing_key, headers, body)"
        " VALUES ($1, $2, $3, $4::jsonb, $5)",
        [(i, exchange, f"thing.happened.{n}",
          {"x-siquan-correlation-id": f"c-{n}", "x-siquan-type": "thing"}, body)
         for n, (i, body) in enumerate(zip(ids, bodies, strict=True))])
    return ids


async def test_a_batch_arrives_whole_in_order_and_is_marked_published(
        pool: asyncpg.Pool, connection: AbstractConnection) -> None:
    exchange = f"siquan.test.relay.{secrets.token_hex(4)}"
    queue = await _queue_on(connection, exchange)
    bodies = [b'{"n": 0}', LONG, b"", LONG, LONG, LONG, b'{"n": 6}']  # two writes
    ids = await _write(pool, exchange, bodies)
    relay = OutboxRelay(pool, batch_size=10, idle_seconds=0.05)
    running = asyncio.create_task(relay.run(connection))
    received: list[AbstractIncomingMessage] = []
    try:
        async with queue.iterator(timeout=30) as messages:
            async for message in messages:
                received.append(message)
                await message.ack()
                if len(received) == len(bodies):
                    break

        async def all_marked() -> bool | None:
            left = await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            return True if left == 0 else None

        await eventually(all_marked, timeout=30, what="the batch marked published")
    finally:
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running

    assert [m.message_id for m in received] == ids
    assert [m.body for m in received] == bodies
    assert [m.routing_key for m in received] == [f"thing.happened.{n}" for n in range(7)]
    assert [m.correlation_id for m in received] == [f"c-{n}" for n in range(7)]
    assert all(m.delivery_mode == aio_pika.DeliveryMode.PERSISTENT for m in received)
    assert all(m.headers["x-siquan-type"] == "thing" for m in received)
    assert relay.published == len(bodies)


async def test_a_batch_the_broker_refuses_is_not_marked(
        pool: asyncpg.Pool, connection: AbstractConnection) -> None:
    """An exchange the broker does not have closes the relay's channel: the batch stays
    unpublished in the outbox, to be published when the relay runs again."""
    await _write(pool, f"siquan.test.relay.absent.{secrets.token_hex(4)}",
                 [b'{"n": 0}', b'{"n": 1}'])
    relay = OutboxRelay(pool, batch_size=10, idle_seconds=0.05)
    with pytest.raises(aio_pika.exceptions.ChannelClosed):
        await asyncio.wait_for(relay.run(connection), 30)
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 2
    assert relay.published == 0
