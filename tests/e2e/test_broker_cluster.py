"""A payment run on a three-node RabbitMQ cluster with two instances of every service.

Mid-run one broker node and one instance of each service are killed (SIGKILL): the
surviving instances, reconnected to the surviving nodes, finish the run. Every payee is
paid exactly once at the bank, fund custody's special account balances to the fen, and
oversight's audit log holds every message the services published, in a chain that
verifies. The quorum queues hold a replica on each of the three nodes."""

from __future__ import annotations

import random
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from siquan.contracts.topology import SUBSCRIPTIONS
from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    Beneficiary,
    CountyCycle,
    RunPlan,
    account_number,
    expected_total,
)
from siquan.shared.rabbit_cluster import Node, RabbitCluster
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PLAN = RunPlan("special_assistance", "2026-12")
PAYEES = 30


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_base(size: int = 3) -> int:
    """AMQP ports base…base+size-1 and distribution ports 20000 above them, all free."""
    for _ in range(200):
        base = random.randrange(21000, 29000)
        ports = [base + i for i in range(size)] + [base + 20000 + i for i in range(size)]
        if all(_free(p) for p in ports):
            return base
    raise RuntimeError("no free ports for a broker cluster")


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RabbitCluster]:
    cluster = RabbitCluster(Path(tmp_path_factory.mktemp("rabbit")), base_port=_free_base())
    try:
        yield cluster.up()
    finally:
        cluster.down()


@pytest.fixture(scope="module")
def env_on_cluster(rabbit: RabbitCluster, servers: tuple[str, str],
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    env = Environment.fresh(Path(tmp_path_factory.mktemp("siquan")))
    env.admin_amqp_url, env.admin_pg_dsn = rabbit.nodes[0].url, servers[1]
    env.broker_nodes, env.rabbitmqctl = rabbit.urls(), rabbit.ctl_command()
    env.provision()
    try:
        yield env
    finally:
        env.teardown()


@pytest.fixture(scope="module")
def services(env_on_cluster: Environment, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[Cluster]:
    slow = {"SIQUAN_PAYMENT_CHUNK_SIZE": "2", "SIQUAN_BANK_LATENCY_MS": "100"}
    logs = Path(tmp_path_factory.mktemp("cluster")) / "logs"
    with running_cluster(env_on_cluster, logs, instances=2,
                         extra_env={"disbursement": slow}) as cluster:
        yield cluster


@pytest.fixture
async def cycle(services: Cluster) -> AsyncIterator[CountyCycle]:
    driver = CountyCycle.of(services)
    try:
        yield driver
    finally:
        await driver.close()


async def _transfers(env: Environment) -> list[asyncpg.Record]:
    return await env.fetch("banksim", "SELECT payment_id, account_number, amount_fen,"
                                      " outcome FROM transfers")


async def _published(env: Environment) -> set[str]:
    """What the services published on their own exchanges (the partners' projections on
    `siquan.partners` are translations of audited certification events, written in the
    same transaction; oversight does not read them)."""
    ids: set[str] = set()
    for service in ("eligibility", "fund_custody", "disbursement", "oversight"):
        rows = await env.fetch(service, "SELECT message_id FROM outbox"
                                        " WHERE published_at IS NOT NULL"
                                        " AND exchange <> 'siquan.partners'")
        ids |= {str(r["message_id"]) for r in rows}
    return ids


async def test_every_queue_is_replicated_on_the_three_nodes(
        rabbit: RabbitCluster, env_on_cluster: Environment) -> None:
    names = [n.name for n in rabbit.nodes]
    for sub in SUBSCRIPTIONS:
        assert rabbit.quorum_members(env_on_cluster.name, sub.queue) == sorted(names)


async def test_a_run_survives_the_loss_of_a_broker_node_and_an_instance_of_each_service(
        rabbit: RabbitCluster, services: Cluster, cycle: CountyCycle) -> None:
    env = services.env
    residents = ResidentFactory("420117", birth_year=1960)
    people = [Beneficiary(residents.next(), "赵秀兰", PLAN.program_code, "death")
              for _ in range(PAYEES)]
    await cycle.certify_all(people)
    for index, person in enumerate(people):
        await cycle.register_account(person, account_number(300 + index))
    owed = expected_total(people, PLAN)
    await cycle.appropriate(PLAN, owed)
    await cycle.wait_until_disbursement_knows(PAYEES, PLAN.program_code)

    started = await cycle.disbursement.call("POST", "/runs", Officers.disburser, json={
        "program_code": PLAN.program_code, "period": PLAN.period, "division_code": "420117"})

    async def midway() -> bool:
        return 2 <= len(await _transfers(env)) < PAYEES - 4

    await eventually(midway, timeout=90, interval=0.02, what="a run partly paid")
    survivors = {s: started_[1] for s, started_ in services.instances.items()}
    # the node the surviving payer works through: its loss forces a fail-over mid-run
    lost = await _node_of(survivors["disbursement"].url, rabbit)
    rabbit.kill(lost)
    for service in ("eligibility", "fund_custody", "disbursement", "oversight"):
        services.instances[service][0].kill()
    await cycle.use({s: p.url for s, p in survivors.items()})

    run = await cycle.pay_result(started["run_id"])
    report = await cycle.report(PLAN, settled_fen=owed)
    transfers = await _transfers(env)
    account = await cycle.fund_custody.call(
        "GET", f"/accounts/{PLAN.program_code}/{PLAN.fiscal_year}/420117", Officers.treasury)

    assert run["status"] == "completed"
    assert run["counts"] == {"settled": PAYEES, "failed": 0, "cancelled": 0, "pending": 0}
    assert len(transfers) == PAYEES
    assert len({t["payment_id"] for t in transfers}) == PAYEES
    assert len({t["account_number"] for t in transfers}) == PAYEES
    assert sum(t["amount_fen"] for t in transfers if t["outcome"] == "settled") == owed
    assert (report["paid_count"], report["paid_fen"], report["settled_fen"]) == (
        PAYEES, owed, owed)
    assert (account["paid_out_fen"], account["reserved_fen"], account["available_fen"]) == (
        owed, 0, 0)

    async def all_audited() -> set[str] | None:
        audited = {str(r["message_id"]) for r in await env.fetch(
            "oversight", "SELECT message_id FROM audit_entries")}
        missing = await _published(env) - audited
        return None if missing else audited

    await eventually(all_audited, timeout=60, what="every published message in the audit log")
    verified = await cycle.oversight.call("GET", "/audit/verify", Officers.auditor)
    assert verified["ok"] is True, verified

    assert (await _node_of(survivors["disbursement"].url, rabbit)) != lost
    rabbit.start(lost)
    assert set(rabbit.running_nodes(rabbit.nodes[0])) == {n.name for n in rabbit.nodes}


async def _node_of(service_url: str, rabbit: RabbitCluster) -> Node:
    """The broker node an instance is connected to, as its readiness check reports it."""
    async with httpx.AsyncClient(base_url=service_url, timeout=5.0) as http:
        broker = (await http.get("/health/ready")).json()["checks"]["broker"]
    (node,) = [n for n in rabbit.nodes if f":{n.amqp_port}/" in broker]
    return node
