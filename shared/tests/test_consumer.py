"""The shared consumer on a real PostgreSQL database: signature, contract, inbox
idempotency, bounded retries of transient errors, dead letters with the reason."""

import asyncio
import secrets
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from siquan.contracts.public_security_v1 import DeathReported
from siquan.contracts.topology import subscriptions_of
from siquan.shared.consumer import EventConsumer, NotYet, Received, RuleBroken
from siquan.shared.database import create_pool
from siquan.shared.messaging_schema import MESSAGING_DDL
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.signing import Verifier, load_private_key, load_public_keys, write_keypair

SUBSCRIPTION = next(s for s in subscriptions_of("eligibility")
                    if s.producer == "partner.public_security")
PRODUCER = "partner.public_security"


class _Raw:
    """What aio-pika hands a consumer: enough of an IncomingMessage for the consumer."""

    def __init__(self, message_id: str, headers: dict[str, Any], body: bytes) -> None:
        self.message_id, self.headers, self.body = message_id, headers, body
        self.routing_key, self.correlation_id = "death.reported.v1", None
        self.type, self.content_type = "death.reported.v1", "application/json"


class _DeadLetters:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def publish(self, raw: Any, *, queue: str, reason: str) -> None:
        self.reasons.append(reason)


@pytest.fixture
async def pool(servers: tuple[str, str]) -> AsyncIterator[asyncpg.Pool]:
    name = f"siquan_t_consumer_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(servers[1])
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = servers[1].rsplit("/", 1)[0] + f"/{name}"
    created = await create_pool(dsn)
    await created.execute(MESSAGING_DDL + "; CREATE TABLE effects (report_id text)")
    try:
        yield created
    finally:
        await created.close()
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    write_keypair(tmp_path, PRODUCER)
    return tmp_path


def _message(keys: Path, *, message_id: str | None = None, report_id: str = "r1") -> _Raw:
    outbox = Outbox(PRODUCER, load_private_key(keys / f"{PRODUCER}.key"))
    event = DeathReported(report_id=report_id, person_key="a" * 64, date_of_death=date(2026, 5, 3))
    message_id = message_id or new_message_id()
    headers, body = outbox.envelope(event, message_id=message_id, correlation_id=None,
                                    causation_id=None)
    return _Raw(message_id, headers, body)


def _consumer(pool: asyncpg.Pool, keys: Path, handler: Any,
              dead: _DeadLetters) -> EventConsumer:
    return EventConsumer(SUBSCRIPTION, {"death.reported.v1": handler}, pool=lambda: pool,
                         verifier=Verifier(load_public_keys(keys)),
                         outbox=Outbox("eligibility", load_private_key(keys / f"{PRODUCER}.key")),
                         dead_letters=dead, max_attempts=3)  # type: ignore[arg-type]


async def _record(r: Received) -> None:
    assert isinstance(r.event, DeathReported)
    await r.conn.execute("INSERT INTO effects VALUES ($1)", r.event.report_id)


async def _effects(pool: asyncpg.Pool) -> int:
    return int(await pool.fetchval("SELECT count(*) FROM effects"))


async def test_a_message_delivered_twice_takes_effect_once(pool: asyncpg.Pool,
                                                            keys: Path) -> None:
    dead = _DeadLetters()
    consumer = _consumer(pool, keys, _record, dead)
    message = _message(keys)
    await consumer.consume(message)  # type: ignore[arg-type]
    await consumer.consume(message)  # type: ignore[arg-type]
    assert await _effects(pool) == 1 and dead.reasons == []


async def test_a_transient_error_is_retried_and_then_takes_effect(pool: asyncpg.Pool,
                                                                   keys: Path) -> None:
    failures = [ConnectionResetError("db went away"), OSError("again")]

    async def flaky(r: Received) -> None:
        if failures:
            raise failures.pop(0)
        await _record(r)

    dead = _DeadLetters()
    await _consumer(pool, keys, flaky, dead).consume(_message(keys))  # type: ignore[arg-type]
    assert await _effects(pool) == 1 and dead.reasons == []


async def test_a_persistent_transient_error_is_dead_lettered_after_the_bound(
        pool: asyncpg.Pool, keys: Path) -> None:
    attempts = 0

    async def down(r: Received) -> None:
        nonlocal attempts
        attempts += 1
        await _record(r)
        raise ConnectionRefusedError("still down")

    dead = _DeadLetters()
    await _consumer(pool, keys, down, dead).consume(_message(keys))  # type: ignore[arg-type]
    assert attempts == 3
    assert dead.reasons == ["transient errors persisted after 3 attempts"]
    assert await _effects(pool) == 0
    assert await pool.fetchval("SELECT count(*) FROM inbox") == 0


async def test_concurrent_deliveries_are_handled_one_at_a_time_in_delivery_order(
        pool: asyncpg.Pool, keys: Path) -> None:
    order: list[str] = []
    inside = 0

    async def slow(r: Received) -> None:
        nonlocal inside
        assert isinstance(r.event, DeathReported)
        inside += 1
        assert inside == 1, "two messages of one queue handled at once"
        await _record(r)  # a round trip to the database: the others could overtake here
        order.append(r.event.report_id)
        inside -= 1

    dead = _DeadLetters()
    consumer = _consumer(pool, keys, slow, dead)
    sent = [f"r{i}" for i in range(20)]
    await asyncio.gather(*(consumer.consume(_message(keys, report_id=i))  # type: ignore[arg-type]
                           for i in sent))
    assert order == sent and dead.reasons == []


async def test_a_message_that_comes_too_early_waits_while_the_ones_behind_it_go_first(
        pool: asyncpg.Pool, keys: Path) -> None:
    async def needs_r1(r: Received) -> None:
        assert isinstance(r.event, DeathReported)
        if r.event.report_id == "completion" and not await r.conn.fetchval(
                "SELECT count(*) FROM effects WHERE report_id = 'r1'"):
            raise NotYet("r1 not handled yet")
        await _record(r)

    dead = _DeadLetters()
    consumer = _consumer(pool, keys, needs_r1, dead)
    await asyncio.gather(
        consumer.consume(_message(keys, report_id="completion")),  # type: ignore[arg-type]
        consumer.consume(_message(keys, report_id="r1")))  # type: ignore[arg-type]
    assert [r["report_id"] for r in await pool.fetch(
        "SELECT report_id FROM effects ORDER BY ctid")] == ["r1", "completion"]
    assert dead.reasons == []


async def test_a_broken_rule_is_dead_lettered_at_once_with_its_reason(
        pool: asyncpg.Pool, keys: Path) -> None:
    async def refuse(r: Received) -> None:
        await _record(r)
        raise RuleBroken("no such person")

    dead = _DeadLetters()
    await _consumer(pool, keys, refuse, dead).consume(_message(keys))  # type: ignore[arg-type]
    assert dead.reasons == ["RuleBroken: no such person"]
    assert await _effects(pool) == 0


@pytest.mark.parametrize("tamper,reason", [
    (lambda m: m.headers.pop("x-siquan-signature"), "message is not signed"),
    (lambda m: setattr(m, "body", m.body.replace(b"r1", b"r2")), "does not verify"),
    (lambda m: m.headers.update({"x-siquan-type": "hold.placed.v1"}), "does not verify"),
])
async def test_an_unsigned_or_altered_message_is_dead_lettered_and_changes_nothing(
        pool: asyncpg.Pool, keys: Path, tamper: Any, reason: str) -> None:
    dead = _DeadLetters()
    message = _message(keys)
    tamper(message)
    await _consumer(pool, keys, _record, dead).consume(message)  # type: ignore[arg-type]
    assert len(dead.reasons) == 1 and reason in dead.reasons[0]
    assert await _effects(pool) == 0
