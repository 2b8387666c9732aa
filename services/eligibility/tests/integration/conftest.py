"""Eligibility as a separate process on its module's environment, with its clock read from
a file the tests move forward; a desk of officers driving the cycle over HTTP; and a look
into the service's database to check that a refused command changed nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.tools.desk import Desk

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
TABLES = ("applications", "certifications", "certification_history", "notices",
          "community_reviews", "objections", "evidence", "survey_imports", "outbox")
Snapshot = Callable[[], Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
def clock_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = Path(tmp_path_factory.mktemp("clock")) / "now"
    FileClock(path).set(START)
    return path


@pytest.fixture(scope="module")
def eligibility(siquan_env: Environment, clock_path: Path,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    variables = {**siquan_env.service_env("eligibility", port=free_port()),
                 "SIQUAN_CLOCK_FILE": str(clock_path),
                 "SIQUAN_DEADLINE_CHECK_SECONDS": "0.2"}
    process = ServiceProcess("eligibility", variables,
                             Path(tmp_path_factory.mktemp("logs"))).start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
async def desk(eligibility: ServiceProcess, clock_path: Path) -> AsyncIterator[Desk]:
    async with httpx.AsyncClient(base_url=eligibility.url, timeout=120.0) as http:
        yield Desk(http, FileClock(clock_path))


@pytest.fixture(scope="module")
async def db(siquan_env: Environment) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(siquan_env.pg_dsn("eligibility"))
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def snapshot(db: asyncpg.Connection) -> Snapshot:
    """Every table a command could change, summarised."""
    async def take() -> dict[str, Any]:
        counts = {t: await db.fetchval(f"SELECT count(*) FROM {t}") for t in TABLES}
        # An officer's read of a person's record is published for oversight; it is not a
        # change a command made.
        counts["outbox"] = await db.fetchval(
            "SELECT count(*) FROM outbox WHERE routing_key <> 'person_record.read.v1'")
        statuses = await db.fetch(
            "SELECT status, count(*) FROM applications GROUP BY 1 ORDER BY 1")
        return {**counts, "statuses": [tuple(r) for r in statuses]}

    return take
