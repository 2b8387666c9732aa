"""The raw speed of this machine for the benchmark's volume: a plain asyncpg COPY of N
payment rows (no indexes, no checks), and a raw aio-pika publish (confirms in windows) and
consume (manual ack) of as many messages of the same size as the run sent.

Beside it, for the reader of the figures and not part of the ratio: the same COPY into a
table written as the run writes each of its tables of payments, logged (a temporary
table writes no WAL and keeps its pages in the session's own buffers) and with the
never-twice unique key of `payment_orders` beside its primary key."""

from __future__ import annotations

import asyncio
import time
import uuid

import aio_pika
import asyncpg

from siquan.shared.testing.environment import Environment

_COLUMNS = ["payment_id", "run_id", "certification_id", "person_key", "program_code",
            "period", "item", "amount_fen", "bank_code", "account_number"]
# a logged copy of the payments' shape with the keys every run's write maintains
_AS_WRITTEN = [
    "CREATE TABLE bench_written_payments (LIKE payments INCLUDING DEFAULTS)",
    "ALTER TABLE bench_written_payments ADD PRIMARY KEY (payment_id)",
    "CREATE UNIQUE INDEX ON bench_written_payments (person_key, program_code, period, item)",
]


def _records(rows: int) -> list[tuple[object, ...]]:
    run_id = uuid.uuid4()
    return [(uuid.uuid4(), run_id, f"cert-{i}", f"{i:064x}", "special_assistance",
             "2026-11", "benefit", 21_000, "ABC", f"6222{i:014d}") for i in range(rows)]


async def raw_copy_seconds(dsn: str, rows: int) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("CREATE TEMP TABLE raw_payments (LIKE payments INCLUDING DEFAULTS)")
        records = _records(rows)
        start = time.perf_counter()
        await conn.copy_records_to_table("raw_payments", records=records, columns=_COLUMNS)
        return time.perf_counter() - start
    finally:
        await conn.close()


async def written_copy_seconds(dsn: str, rows: int) -> float:
    """The same COPY into a logged table with a primary key and the never-twice unique key
    (dropped afterwards)."""
    conn = await asyncpg.connect(dsn)
    try:
        for statement in _AS_WRITTEN:
            await conn.execute(statement)
        records = _records(rows)
        start = time.perf_counter()
        await conn.copy_records_to_table("bench_written_payments", records=records,
                                         columns=_COLUMNS)
        return time.perf_counter() - start
    finally:
        await conn.execute("DROP TABLE IF EXISTS bench_written_payments")
        await conn.close()


async def raw_messaging_seconds(env: Environment, count: int, size: int,
                                window: int = 1000) -> float:
    connection = await aio_pika.connect(_vhost_url(env))
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=1000)
        # a quorum queue, as the services' queues are
        queue = await channel.declare_queue(f"raw-bench-{uuid.uuid4()}", durable=True,
                                            arguments={"x-queue-type": "quorum"})
        body = b"x" * size
        start = time.perf_counter()
        received = asyncio.Event()
        seen = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            await message.ack()
            seen += 1
            if seen == count:
                received.set()

        consumer = await queue.consume(on_message)
        pending = []
        for _ in range(count):
            pending.append(channel.default_exchange.publish(
                aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=queue.name))
            if len(pending) >= window:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
        await received.wait()
        elapsed = time.perf_counter() - start
        await queue.cancel(consumer)
        await queue.delete(if_unused=False, if_empty=False)
        return elapsed


def _vhost_url(env: Environment) -> str:
    base = env.admin_amqp_url.rstrip("/")
    return f"{base}/{env.name}"
