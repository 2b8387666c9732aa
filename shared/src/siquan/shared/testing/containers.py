"""RabbitMQ 4 and PostgreSQL in containers, for machines with a Docker engine
(`SIQUAN_TESTCONTAINERS=1`). The broker is provisioned with `rabbitmqctl` inside its
container, through `SIQUAN_RABBITMQCTL`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def started_containers() -> Iterator[tuple[str, str]]:
    from testcontainers.postgres import PostgresContainer
    from testcontainers.rabbitmq import RabbitMqContainer

    with RabbitMqContainer("rabbitmq:4-management") as rabbit, \
            PostgresContainer("postgres:15", username="postgres", password="postgres",  # noqa: S106
                              dbname="postgres", driver=None) as postgres:
        amqp = (f"amqp://guest:guest@{rabbit.get_container_host_ip()}:"
                f"{rabbit.get_exposed_port(5672)}/")
        dsn = postgres.get_connection_url()
        container_id = rabbit.get_wrapped_container().id
        previous = os.environ.get("SIQUAN_RABBITMQCTL")
        os.environ["SIQUAN_RABBITMQCTL"] = f"docker exec -i {container_id} rabbitmqctl"
        try:
            yield amqp, dsn
        finally:
            if previous is None:
                os.environ.pop("SIQUAN_RABBITMQCTL", None)
            else:
                os.environ["SIQUAN_RABBITMQCTL"] = previous
