"""Two fund custody processes compete for the same queues over the same database, each
taking one message per transaction: bursts of messages are dealt out to both, and the
special account's row lock, the inbox and the unique keys keep the books as one process
would — no account reserved beyond its balance, no chunk paid twice, nothing dead-lettered
for losing a race."""

from __future__ import annotations

from collections.abc import Iterator

import aio_pika
import httpx
import pytest

from siquan.contracts.base import Event
from siquan.contracts.topology import exchange_of
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.outbox import Outbox, new_message_id
from siquan.shared.signing import load_private_key
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import tap
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.waiting import eventually


def instance_env(env: Environment) -> dict[str, str]:
    # One message per transaction: the most interleaving two instances can have.
    return {**env.service_env("fund_custody", port=free_port()),
            "SIQUAN_CONSUMER_BATCH_SIZE": "1"}


@pytest.fixture(scope="module")
def fund_custody_process(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
                         ) -> Iterator[ServiceProcess]:
    """The first instance (instead of the package's), taking one message at a time."""
    process = ServiceProcess("fund_custody", instance_env(siquan_env),
                             tmp_path_factory.mktemp("fund_custody_first"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def second_instance(siquan_env: Environment, fund_custody_process: ServiceProcess,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """Another fund custody process on the same broker queues and database."""
    process = ServiceProcess("fund_custody", instance_env(siquan_env),
                             tmp_path_factory.mktemp("fund_custody_second"))
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def both_ready(*instances: ServiceProcess) -> None:
    """Until each instance's broker link is up (its consumers start on it)."""
    async with httpx.AsyncClient(timeout=2.0) as http:
        for instance in instances:
            async def ready(url: str = instance.url) -> bool:
                return (await http.get(f"{url}/health/ready")).status_code == 200
            await eventually(ready, what=f"{instance.url} ready")


async def dead_letters(fc) -> list[dict[str, object]]:
    admin_url = fc.env.admin_amqp_url.rstrip("/") + "/" + fc.env.name
    return await list_dead_letters(admin_url, "fund_custody", limit=1000)


async def burst(env: Environment, events: list[tuple[Event, str]]) -> None:
    """Publish (event, message id) pairs as disbursement, back to back on one channel, so
    the broker deals them out to both instances at once."""
    outbox = Outbox("disbursement", load_private_key(env.keys_dir / "disbursement.key"))
    connection = await aio_pika.connect(env.amqp_url("disbursement"))
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(exchange_of("disbursement"), ensure=False)
        for event, message_id in events:
            headers, body = outbox.envelope(event, message_id=message_id,
                                            correlation_id=None, causation_id=None)
            await exchange.publish(
                aio_pika.Message(body, headers=dict(headers), message_id=message_id,
                                 type=event.routing_key,
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=event.routing_key)


async def test_requests_racing_on_two_instances_never_reserve_beyond_the_balance(
        fc, second_instance: ServiceProcess, key: AccountKey) -> None:
    await both_ready(fc.process, second_instance)
    await fc.funded(key, 205_000)
    requests = [fc.allocation_request(key, 10_000) for _ in range(40)]
    async with tap(fc.env, "fund_custody") as tapped:
        await burst(fc.env, [(r, new_message_id()) for r in requests])

        async def answered() -> bool:
            runs = {r.run_id for r in requests}
            seen = {t.body["run_id"] for t in (*tapped.of_type("allocation.approved.v1"),
                                               *tapped.of_type("allocation.rejected.v1"))}
            return runs <= seen
        await eventually(answered, timeout=60, what="every request answered")
    approved = fc.bodies(tapped, "allocation.approved.v1")
    assert len(approved) == 20
    account = await fc.account(key)
    assert (account["available_fen"], account["reserved_fen"]) == (5_000, 200_000)
    statuses = [(await fc.allocation(r.run_id))["status"] for r in requests]
    assert sorted(statuses) == ["approved"] * 20 + ["waiting"] * 20
    assert await dead_letters(fc) == []


async def test_the_same_chunk_reaching_both_instances_at_once_is_paid_once(
        fc, second_instance: ServiceProcess, key: AccountKey) -> None:
    await both_ready(fc.process, second_instance)
    run_id = await fc.approved_run(key, 1_000_000, 600_000)
    chunk = fc.settled(key, run_id, 0, *[21_000] * 20)
    redelivered = new_message_id()
    copies = [(chunk, new_message_id()) for _ in range(30)] + [(chunk, redelivered)] * 10
    await burst(fc.env, copies)
    for _, message_id in copies:
        await fc.wait_processed(message_id)
    account = await fc.account(key)
    assert (account["reserved_fen"], account["paid_out_fen"]) == (180_000, 420_000)
    allocation = await fc.allocation(run_id)
    assert (allocation["paid_fen"], allocation["settled_chunks"]) == (420_000, 1)
    assert await fc.fetchval("SELECT count(*) FROM ledger_transactions WHERE run_id = $1"
                             " AND kind = 'payment'", run_id) == 1
    assert await dead_letters(fc) == []
    # Both instances took copies: each found the chunk paid by the other (or by itself).
    for instance in (fc.process, second_instance):
        assert "already settled; ignored" in instance.log_path.read_text(errors="replace")
