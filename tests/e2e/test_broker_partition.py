"""A payment run on three RabbitMQ nodes that are hosts of their own (network namespaces
made by the test, `siquan.shared.rabbit_netns`), with two instances of every service.

Mid-run, the node the paying instance works through is cut off from the other two (a
network partition) and healed, then another node is killed (SIGKILL) and restarted.
Meanwhile a probe publishes with confirms to a quorum queue through each node and
consumes from each. The majority keeps confirming and delivering while a node is cut off
or dead, the cut node turns its clients away, the node rejoins (every node running,
every replica of every quorum queue live), and every confirmed message is consumed:
nothing confirmed is lost. The run pays every payee exactly once, the special account
balances to the fen, and the audit log holds every published message in a chain that
verifies.

Needs root and `ip netns` (iproute2): fails with the reason otherwise (CI runs as root)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

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
from siquan.shared.rabbit_netns import NetnsRabbitCluster, unavailable_reason
from siquan.shared.testing.broker_cluster import (
    all_audited,
    node_of,
    paid_exactly_once,
    transfers,
)
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.chaos.partition import KILLED, PARTITIONED, SERVING, Probe, faults

# Three namespaced Erlang VMs boot and join first: minutes on a loaded machine.
pytestmark = [pytest.mark.e2e, pytest.mark.chaos, pytest.mark.timeout(900)]

PLAN = RunPlan("special_assistance", "2026-12")
PAYEES = 30
PAYER_SETTINGS = {"SIQUAN_PAYMENT_CHUNK_SIZE": "1", "SIQUAN_BANK_LATENCY_MS": "2500"}
"""One payment per bank call of 2.5 s: the run lasts about as long as the faults."""


@pytest.fixture(scope="module")
def rabbit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NetnsRabbitCluster]:
    if reason := unavailable_reason():
        pytest.fail(f"a broker cluster of namespaced hosts cannot run here: {reason}")
    cluster = NetnsRabbitCluster(Path(tmp_path_factory.mktemp("rabbit-netns")))
    try:
        yield cluster.up()
    finally:
        cluster.down()


@pytest.mark.timeout(1200)
async def test_a_run_survives_a_partition_and_the_kill_of_a_broker_node(
        rabbit: NetnsRabbitCluster, services: Cluster, cycle: CountyCycle) -> None:
    env = services.env
    residents = ResidentFactory("420117", birth_year=1961)
    people = [Beneficiary(residents.next(), "钱玉兰", PLAN.program_code, "death")
              for _ in range(PAYEES)]
    await cycle.certify_all(people)
    for index, person in enumerate(people):
        await cycle.register_account(person, account_number(500 + index))
    owed = expected_total(people, PLAN)
    await cycle.appropriate(PLAN, owed)
    await cycle.wait_until_disbursement_knows(PAYEES, PLAN.program_code)

    probe = Probe(rabbit)
    await probe.start()
    started = await cycle.disbursement.call("POST", "/runs", Officers.disburser, json={
        "program_code": PLAN.program_code, "period": PLAN.period, "division_code": "420117"})

    async def midway() -> bool:
        return 1 <= len(await transfers(env)) < PAYEES - 4

    await eventually(midway, timeout=120, interval=0.05, what="a run partly paid")
    # the node a paying instance works through is cut off: its clients must fail over
    cut = await node_of(services.instances["disbursement"][0].url, rabbit)
    killed = next(n for n in rabbit.nodes if n is not cut)
    start = time.monotonic()
    try:
        records = await asyncio.wait_for(faults(rabbit, probe, cut, killed, start), 600)
    finally:
        await probe.stop()
        await probe.remove()

    figures = probe.figures()
    assert [(r.kind, r.target) for r in records] == [(PARTITIONED, cut.name),
                                                     (KILLED, killed.name)]
    assert figures["confirmed"] > 0
    assert figures["lost"] == 0, figures
    cut_off, down = records[0].detail, records[1].detail
    assert cut_off["minority_refused_clients"] is True
    assert cut_off["majority_confirmed_during_cut"] >= SERVING
    assert cut_off["majority_consumed_during_cut"] >= SERVING
    assert down["majority_confirmed_while_down"] >= SERVING
    assert all(r.recovered_s is not None for r in records)

    await paid_exactly_once(cycle, env, started["run_id"], PLAN, PAYEES, owed)
    await all_audited(cycle, env)

    assert rabbit.all_running()
    for sub in SUBSCRIPTIONS:
        assert rabbit.members_online(env.name, sub.queue), sub.queue
