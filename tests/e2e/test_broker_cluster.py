"""A payment run on a three-node RabbitMQ cluster with two instances of every service.

Mid-run one broker node and one instance of each service are killed (SIGKILL): the
surviving instances, reconnected to the surviving nodes, finish the run. Every payee is
paid exactly once at the bank, fund custody's special account balances to the fen, and
oversight's audit log holds every message the services published, in a chain that
verifies. The quorum queues hold a replica on each of the three nodes."""

from __future__ import annotations

import random
import socket
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
from siquan.shared.rabbit_cluster import RabbitCluster
from siquan.shared.testing.broker_cluster import (
    all_audited,
    node_of,
    paid_exactly_once,
    transfers,
)
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

# Three Erlang VMs boot and join before the first test: on a machine loaded by the other
# test workers that alone can take minutes, so the module has more than the default 300 s.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]

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


async def test_every_queue_is_replicated_on_the_three_nodes(
        rabbit: RabbitCluster, env_on_cluster: Environment) -> None:
    names = sorted(n.name for n in rabbit.nodes)
    members = rabbit.members_of_queues(env_on_cluster.name)
    assert {sub.queue: members.get(sub.queue) for sub in SUBSCRIPTIONS} == {
        sub.queue: names for sub in SUBSCRIPTIONS}


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
        return 2 <= len(await transfers(env)) < PAYEES - 4

    await eventually(midway, timeout=90, interval=0.02, what="a run partly paid")
    survivors = {s: started_[1] for s, started_ in services.instances.items()}
    # the node the surviving payer works through: its loss forces a fail-over mid-run
    lost = await node_of(survivors["disbursement"].url, rabbit)
    rabbit.kill(lost)
    for service in ("eligibility", "fund_custody", "disbursement", "oversight"):
        services.instances[service][0].kill()
    await cycle.use({s: p.url for s, p in survivors.items()})

    await paid_exactly_once(cycle, env, started["run_id"], PLAN, PAYEES, owed)
    await all_audited(cycle, env)

    assert (await node_of(survivors["disbursement"].url, rabbit)) != lost
    rabbit.start(lost)
    assert set(rabbit.running_nodes(rabbit.nodes[0])) == {n.name for n in rabbit.nodes}

