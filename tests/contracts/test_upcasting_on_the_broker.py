"""On the real broker: a v1 message of a contract whose consumer has moved to v2 reaches
the v2 handler, through the queue the registry binds to both versions, read as v2."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import aio_pika
import asyncpg
import pytest

from siquan.contracts.public_security_v1 import DeathReported
from siquan.contracts.topology import exchange_of
from siquan.shared.clock import FixedClock
from siquan.shared.consumer import BatchedConsumer, ConsumerSettings
from siquan.shared.dead_letters import DeadLetterPublisher
from siquan.shared.messaging_schema import MESSAGING_DDL
from siquan.shared.outbox import Outbox
from siquan.shared.provision import apply_broker
from siquan.shared.registry import HandlerRegistry, handles
from siquan.shared.signing import Verifier, load_private_key, load_public_keys
from siquan.shared.testing.databases import scratch_pool
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.waiting import eventually
from siquan.shared.unit_of_work import PgUnitOfWork, UnitsOfWork

pytestmark = pytest.mark.integration
CLOCK = FixedClock(datetime(2026, 12, 1, tzinfo=UTC))


@pytest.fixture
async def pool(siquan_env: Environment) -> AsyncIterator[asyncpg.Pool]:
    async with scratch_pool(siquan_env.admin_pg_dsn, "siquan_t_upcast", MESSAGING_DDL,
                            "CREATE TABLE deaths (report_id text, died_on text,"
                            " recorded_by text, type text)") as created:
        yield created


async def test_a_v1_message_reaches_a_handler_that_takes_v2(
        siquan_env: Environment, pool: asyncpg.Pool, death_reported_v2: Any) -> None:
    @handles(death_reported_v2)
    async def record_death(event: Any, uow: PgUnitOfWork) -> None:
        await uow.conn.execute("INSERT INTO deaths VALUES ($1, $2, $3, $4)", event.report_id,
                               event.died_on, event.recorded_by, type(event).__name__)

    route = HandlerRegistry.collect("eligibility", [record_death]).routes()[0]
    outbox = Outbox("eligibility", load_private_key(siquan_env.keys_dir / "eligibility.key"))
    consumer = BatchedConsumer(
        route, UnitsOfWork(lambda: pool, outbox, CLOCK, PgUnitOfWork),
        Verifier(load_public_keys(siquan_env.keys_dir)), DeadLetterPublisher("eligibility"),
        ConsumerSettings(), CLOCK)
    # the v2 contract exists only now: provisioning grants its producer the new key
    apply_broker(siquan_env.name, siquan_env.passwords, admin_url=siquan_env.admin_amqp_url,
                 user_prefix=siquan_env.user_prefix)
    admin = await aio_pika.connect(f"{siquan_env.admin_amqp_url.rstrip('/')}/{siquan_env.name}")
    async with admin:  # only the provisioner binds: as provisioning would from the registry
        queue = await (await admin.channel()).get_queue(route.subscription.queue, ensure=False)
        for key in route.subscription.binding_keys:
            await queue.bind(exchange_of(route.subscription.producer), routing_key=key)
    connection = await aio_pika.connect(siquan_env.amqp_url("eligibility"))
    async with connection:
        running = asyncio.create_task(consumer.run(connection))
        try:
            await publish_as(siquan_env, DeathReported(
                report_id="old", person_key="a" * 64, date_of_death=date(2026, 5, 3)))
            await publish_as(siquan_env, death_reported_v2(
                report_id="new", person_key="b" * 64, died_on="2026-06-01",
                recorded_by="hospital"))

            async def both() -> list[asyncpg.Record]:
                rows = await pool.fetch("SELECT * FROM deaths ORDER BY report_id")
                return rows if len(rows) == 2 else []

            rows = await eventually(both, what="both versions handled")
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)

    assert [tuple(r) for r in rows] == [
        ("new", "2026-06-01", "hospital", "DeathReportedV2"),
        ("old", "2026-05-03", "household_register", "DeathReportedV2")]
    assert sorted(r["message_type"] for r in await pool.fetch("SELECT * FROM inbox")) == [
        "death.reported.v1", "death.reported.v2"]
