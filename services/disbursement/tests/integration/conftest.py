"""Disbursement as a real process on a real broker and databases, one isolated environment
(vhost, databases, keys) per test so runs and rosters of different tests never mix.

`world` drives it the way its peers and officers do: eligibility's, oversight's, public
security's and fund custody's events signed and published with their own users, officers'
commands over HTTP, and the simulated bank's database read directly.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.fund_custody_v1 import AllocationApproved, AllocationRejected
from siquan.contracts.types import gb11643_check_digit
from siquan.disbursement.app import MIGRATIONS
from siquan.shared.database import migrate
from siquan.shared.person import person_key
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.waiting import eventually

SECRET = "disbursement-tests-person-key"
PROGRAM = "special_assistance"
DIVISION = "420117"
DISBURSER = {"Authorization": "Bearer dev-disburser-420117-01"}
CHECKER = {"Authorization": "Bearer dev-disburser-420117-02"}
OTHER_COUNTY = {"Authorization": "Bearer dev-disburser-420102-01"}


def resident_id(n: int) -> str:
    first17 = f"{DIVISION}19500101{n:03d}"
    return first17 + gb11643_check_digit(first17)


def account_number(n: int) -> str:
    return f"62220200{n:011d}"


def _in_thread(action: Callable[[], None]) -> None:
    # Provisioning runs its own event loop; keep it off the test session's loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(action).result()


@pytest.fixture
def env(servers: tuple[str, str], tmp_path: Path) -> Iterator[Environment]:
    environment = Environment.fresh(tmp_path, prefix="siquan_d")
    environment.admin_amqp_url, environment.admin_pg_dsn = servers
    _in_thread(environment.provision)
    try:
        yield environment
    finally:
        _in_thread(environment.teardown)


@pytest.fixture(scope="module")
def database(servers: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[str]:
    """One migrated database for a module's cases, each run in a transaction rolled back
    (`in_rolled_back_transaction`)."""
    env = Environment.fresh(Path(tmp_path_factory.mktemp("database")), prefix="siquan_d")
    env.admin_amqp_url, env.admin_pg_dsn = servers
    env.provision()
    try:
        asyncio.run(migrate(env.pg_dsn("disbursement"), MIGRATIONS))
        yield env.pg_dsn("disbursement")
    finally:
        env.teardown()


def in_rolled_back_transaction(dsn: str,
                               check: Callable[[asyncpg.Connection], Awaitable[None]]) -> None:
    """Run `check` on a connection inside a transaction that is rolled back afterwards."""
    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads,
                                  schema="pg_catalog")
        transaction = conn.transaction()
        await transaction.start()
        try:
            await check(conn)
        finally:
            await transaction.rollback()
            await conn.close()

    asyncio.run(run())


@dataclass
class World:
    env: Environment
    log_dir: Path
    process: ServiceProcess | None = None
    settings: dict[str, str] = field(default_factory=dict)
    others: list[ServiceProcess] = field(default_factory=list)

    def start(self, **settings: str) -> ServiceProcess:
        self.settings = settings or self.settings
        self.process = ServiceProcess("disbursement", self._variables(),
                                      self.log_dir).start()
        return self.process

    def start_another(self) -> ServiceProcess:
        """One more instance over the same database and queues, with the same settings."""
        other = ServiceProcess("disbursement", self._variables(),
                               self.log_dir / f"instance-{len(self.others) + 1}").start()
        self.others.append(other)
        return other

    def _variables(self) -> dict[str, str]:
        return {**self.env.service_env("disbursement", port=free_port()),
                "SIQUAN_PERSON_KEY_SECRET": SECRET, "SIQUAN_PAYMENT_POLL_SECONDS": "0.2",
                **{f"SIQUAN_{k.upper()}": v for k, v in self.settings.items()}}

    @property
    def url(self) -> str:
        assert self.process is not None
        return self.process.url

    async def grant(self, n: int, category: str = "death",
                    effective_from: date = date(2020, 1, 1), *, program: str = PROGRAM,
                    policy_version: str = "wuhan-2012", household_key: str | None = None
                    ) -> CertificationGranted:
        event = CertificationGranted(
            certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
            program_code=program, category=category, policy_version=policy_version,
            person_key=person_key(SECRET, resident_id(n)), masked_name="张**",
            masked_resident_id=f"4201**********{resident_id(n)[-4:]}", division_code=DIVISION,
            effective_from=effective_from, reviewed_by="reviewer-420117-01",
            approved_by="approver-420117-01", approved_at=datetime.now(UTC),
            household_key=household_key)
        await publish_as(self.env, event)
        return event

    async def await_certifications(self, count: int) -> None:
        async def arrived() -> bool:
            return bool(await self.db_value("SELECT count(*) FROM certifications") >= count)
        await eventually(arrived, what=f"{count} certifications in disbursement")

    async def post(self, path: str, body: dict[str, Any],
                   headers: dict[str, str] = DISBURSER) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            return await client.post(path, json=body, headers=headers)

    async def register(self, n: int, account: str | None = None, *, confirm: bool = True,
                       wait: bool = True, headers: dict[str, str] = DISBURSER,
                       name: str | None = None) -> httpx.Response:
        """Register person n's account (under the holder's `name` when given) once
        disbursement holds n's certification (`wait`); a change is confirmed by the second
        officer (`confirm`). The registration's answer."""
        if wait:
            await self.await_certification_of(n)
        body = {"resident_id": resident_id(n), "bank_code": "102",
                "account_number": account or account_number(n),
                **({"account_name": name} if name is not None else {})}
        registered = await self.post("/payee-accounts", body, headers)
        if confirm and registered.status_code == 201 and \
                registered.json()["awaiting_confirmation"]:
            confirmed = await self.post("/payee-accounts/confirmations", body, CHECKER)
            assert confirmed.status_code == 201, confirmed.text
        return registered

    async def await_certification_of(self, n: int) -> None:
        key = person_key(SECRET, resident_id(n))

        async def held() -> bool:
            return bool(await self.db_value(
                "SELECT count(*) FROM certifications WHERE person_key = $1", key))
        await eventually(held, what=f"person {n}'s certification in disbursement")

    async def start_run(self, period: str, program_code: str = PROGRAM) -> httpx.Response:
        return await self.post("/runs", {"program_code": program_code, "period": period,
                                         "division_code": DIVISION})

    async def run(self, run_id: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            response = await client.get(f"/runs/{run_id}", headers=DISBURSER)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def run_row(self, run_id: str) -> dict[str, Any]:
        """A run's row read straight from the database while the service is down."""
        row = await self.db_rows("SELECT status FROM payment_runs WHERE run_id = $1", run_id)
        return dict(row[0])

    async def await_status(self, run_id: str, status: str, timeout: float = 60) -> None:
        async def reached() -> bool:
            return bool((await self.run(run_id))["status"] == status)
        await eventually(reached, timeout=timeout, what=f"run {run_id} {status}")

    async def approve(self, run: dict[str, Any], *, amount_fen: int | None = None,
                      allocation_id: str | None = None, message_id: str | None = None) -> str:
        return await publish_as(self.env, AllocationApproved(
            allocation_id=allocation_id or str(uuid.uuid4()), run_id=run["run_id"],
            program_code=run["program_code"], period=run["period"],
            division_code=run["division_code"],
            amount_fen=run["total_fen"] if amount_fen is None else amount_fen,
            available_fen=10_000_000), message_id=message_id)

    async def reject(self, run: dict[str, Any]) -> str:
        return await publish_as(self.env, AllocationRejected(
            run_id=run["run_id"], program_code=run["program_code"], period=run["period"],
            division_code=run["division_code"], requested_fen=run["total_fen"],
            available_fen=0, shortfall_fen=run["total_fen"], reason="insufficient funds"))

    async def db_value(self, sql: str, *args: Any) -> Any:
        rows = await self.db_rows(sql, *args)
        return rows[0][0] if rows else None

    async def db_rows(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        return await self.env.fetch("disbursement", sql, *args)

    async def bank_transfers(self) -> list[asyncpg.Record]:
        try:
            return await self.env.fetch(
                "banksim", "SELECT payment_id::text, account_number, amount_fen, outcome,"
                " reason FROM transfers ORDER BY payment_id")
        except asyncpg.UndefinedTableError:  # the bank has not been opened yet
            return []


@pytest.fixture
async def world(env: Environment, tmp_path: Path) -> AsyncIterator[World]:
    created = World(env, tmp_path / "logs")
    try:
        yield created
    finally:
        for process in (created.process, *created.others):
            if process is not None:
                process.kill()
