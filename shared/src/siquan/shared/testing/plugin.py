"""Pytest fixtures: a provisioned environment per session on the real servers (or
testcontainers with SIQUAN_TESTCONTAINERS=1). Missing infrastructure fails; it never skips."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from siquan.shared.clock import DEFAULT_OFFICE_ZONE
from siquan.shared.testing.environment import Environment


def pytest_configure(config: pytest.Config) -> None:
    """Every service a test starts has 4 connections for requests and handlers, not 10
    (its background loops' connections come on top): the test workers run whole systems
    at once (some with two instances of each service, each with its simulated bank)
    against one PostgreSQL (`.ci/run` raises its `max_connections` from 100 to 300).

    The tests are written for an office in the default zone (Beijing time): the instants
    their clocks are set to fall on the days they name there. A zone set in the shell that
    runs them (`SIQUAN_OFFICE_TIMEZONE`, a deployment's setting) would move those days and
    fail tests for no fault of the code, so it is set to the default for the session; a
    test about another zone sets that zone itself."""
    os.environ.setdefault("SIQUAN_PG_POOL_SIZE", "4")
    os.environ["SIQUAN_OFFICE_TIMEZONE"] = DEFAULT_OFFICE_ZONE


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    """Admin URL of the broker and admin DSN of PostgreSQL for this session."""
    if os.environ.get("SIQUAN_TESTCONTAINERS") == "1":
        from siquan.shared.testing.containers import started_containers

        with started_containers() as urls:
            yield urls
        return
    yield (os.environ.get("SIQUAN_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
           os.environ.get("SIQUAN_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"))


@pytest.fixture(scope="module")
def siquan_env(servers: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Environment]:
    """A vhost, databases, roles and signing keys for one test module, removed afterwards,
    so no module sees another's certifications, runs or balances."""
    env = Environment.fresh(Path(tmp_path_factory.mktemp("siquan")))
    env.admin_amqp_url, env.admin_pg_dsn = servers
    env.provision()
    try:
        yield env
    finally:
        env.teardown()


@pytest.fixture(scope="module")
def bank_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of the module's own where disbursement, paying through batch files
    (`siquan.shared.testing.bank_files.bank_file_env`), writes its instruction files and
    the bank's side of them (`BatchFileCounterpart`) answers: module-scoped, as the
    services started on it are."""
    return tmp_path_factory.mktemp("bank")
