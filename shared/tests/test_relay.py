"""The outbox relay's claim on a real database: a backlog is drained batch after batch
from where the last batch ended, each row published once, and a row that commits late
under a lower id is still published — after the backlog, or within `FULL_SCAN_EVERY`
batches while it lasts. (Publishing itself is recorded here instead of sent.)"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest

from siquan.shared import relay
from siquan.shared.database import create_pool
from siquan.shared.messaging_schema import MESSAGING_DDL
from siquan.shared.outbox import new_message_id


class Recording(relay.OutboxRelay):
    def __init__(self, pool: asyncpg.Pool, batch_size: int) -> None:
        super().__init__(pool, batch_size=batch_size, idle_seconds=1.0)
        self.sent: list[int] = []

    async def _publish(self, row: asyncpg.Record) -> None:
        self.sent.append(row["id"])


@pytest.fixture
async def pool(servers: tuple[str, str]) -> AsyncIterator[asyncpg.Pool]:
    name = f"siquan_t_relay_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(servers[1])
    await admin.execute(f'CREATE DATABASE "{name}"')
    created = await create_pool(servers[1].rsplit("/", 1)[0] + f"/{name}")
    await created.execute(MESSAGING_DDL)
    try:
        yield created
    finally:
        await created.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def _add(conn: asyncpg.Connection | asyncpg.Pool, count: int) -> list[int]:
    return [await conn.fetchval(
        "INSERT INTO outbox (message_id, exchange, routing_key, headers, body)"
        " VALUES ($1, 'x', 'k', '{}'::jsonb, '') RETURNING id", new_message_id())
        for _ in range(count)]


async def test_a_late_commit_under_a_lower_id_is_published_after_the_backlog(
        pool: asyncpg.Pool) -> None:
    async with pool.acquire() as late:
        transaction = late.transaction()
        await transaction.start()
        [early_id] = await _add(late, 1)
        backlog = await _add(pool, 6)
        relay_ = Recording(pool, batch_size=2)
        counts = [await relay_.publish_batch() for _ in range(4)]
        assert counts == [2, 2, 2, 0] and relay_.sent == backlog
        await transaction.commit()
    assert await relay_.publish_batch() == 1
    assert relay_.sent == [*backlog, early_id]
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def test_a_late_commit_is_published_within_a_long_backlog(
        pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relay, "FULL_SCAN_EVERY", 2)
    async with pool.acquire() as late:
        transaction = late.transaction()
        await transaction.start()
        [early_id] = await _add(late, 1)
        backlog = await _add(pool, 12)
        relay_ = Recording(pool, batch_size=2)
        await relay_.publish_batch()
        await transaction.commit()
    for _ in range(2):
        await relay_.publish_batch()
    assert early_id in relay_.sent[:6]
    while await relay_.publish_batch():
        pass
    assert sorted(relay_.sent) == sorted([early_id, *backlog])
    assert len(set(relay_.sent)) == len(relay_.sent)
