"""The four services as separate processes, one cluster per module.

On a broker cluster: a module that defines a module-scoped `rabbit` fixture (a started
`RabbitCluster`, on loopback or namespaced) gets `env_on_cluster` (an environment
provisioned through the cluster's first node, its services given a URL per node),
`services` (two instances of each service on it, the payer slowed so that a run meets a
fault: `SLOW_PAYER`, or the module's `PAYER_SETTINGS`) and `cycle` (the county-cycle
driver on them)."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from siquan.shared.operator.county_cycle import CountyCycle
from siquan.shared.rabbit_cluster import RabbitCluster
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("cluster"))
    with running_cluster(siquan_env, base / "logs", trace_dir=base / "traces",
                         extra_env={"disbursement": {"SIQUAN_PAYMENT_CHUNK_SIZE": "2"}}
                         ) as running:
        yield running


SLOW_PAYER = {"SIQUAN_PAYMENT_CHUNK_SIZE": "2", "SIQUAN_BANK_LATENCY_MS": "100"}


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
def services(env_on_cluster: Environment, tmp_path_factory: pytest.TempPathFactory,
             request: pytest.FixtureRequest) -> Iterator[Cluster]:
    payer = getattr(request.module, "PAYER_SETTINGS", SLOW_PAYER)
    logs = Path(tmp_path_factory.mktemp("cluster")) / "logs"
    with running_cluster(env_on_cluster, logs, instances=2,
                         extra_env={"disbursement": payer}) as cluster:
        yield cluster


@pytest.fixture
async def cycle(services: Cluster) -> AsyncIterator[CountyCycle]:
    driver = CountyCycle.of(services)
    try:
        yield driver
    finally:
        await driver.close()
