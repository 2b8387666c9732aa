"""Fund custody as a real process on the session's broker and database, and a driver that
talks to it the way its peers do: HTTP as an officer, signed events as disbursement or
eligibility, a tap on its exchange, and a look into its own database."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from siquan.contracts.base import Event
from siquan.contracts.disbursement_v1 import (
    AllocationRequested,
    PaymentRunCompleted,
    PaymentsReturned,
    PaymentsSettled,
    ReturnedPayment,
    SettledPayment,
)
from siquan.contracts.policy import load_catalogue
from siquan.fund_custody.domain.special_account import LAST_FISCAL_YEAR, AccountKey
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import EventTap, publish_as, tap
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.waiting import eventually

DIVISION = "420117"
TREASURER = "treasury-420117-01"
AUDITOR = "auditor-420117-01"

# Each test gets a special account of its own: a (program, fiscal year) never used before,
# and before the last year kept (closing a year opens the next).
_KEYS = [AccountKey(program, year, DIVISION)
         for program, year in itertools.product(load_catalogue().cash_programs(),
                                                        range(2000, LAST_FISCAL_YEAR))]
random.shuffle(_KEYS)
_FRESH_KEYS = iter(_KEYS)


class FundCustody:
    def __init__(self, env: Environment, process: ServiceProcess) -> None:
        self.env, self.process = env, process
        self.http = httpx.AsyncClient(base_url=process.url, timeout=10.0)

    async def appropriate(self, key: AccountKey, amount_fen: int, *, level: str = "central",
                          officer: str = TREASURER,
                          document: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {
            "program_code": key.program_code, "fiscal_year": key.fiscal_year,
            "division_code": key.division_code, "fiscal_level": level,
            "amount_fen": amount_fen}
        if document is not None:
            body["document_number"] = document
        return await self.http.post("/appropriations", headers=bearer(officer), json=body)

    async def funded(self, key: AccountKey, amount_fen: int) -> None:
        response = await self.appropriate(key, amount_fen)
        assert response.status_code == 201, response.text

    async def account(self, key: AccountKey) -> dict[str, Any]:
        response = await self.http.get(
            f"/accounts/{key.program_code}/{key.fiscal_year}/{key.division_code}",
            headers=bearer(AUDITOR))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def allocation(self, run_id: str) -> dict[str, Any]:
        response = await self.http.get(f"/allocations/{run_id}", headers=bearer(AUDITOR))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def publish(self, event: Event, *, message_id: str | None = None) -> str:
        """Publish as the event's producer (signed, with its own broker user)."""
        return await publish_as(self.env, event, message_id=message_id)

    @staticmethod
    def allocation_request(key: AccountKey, total_fen: int,
                           run_id: str | None = None) -> AllocationRequested:
        return AllocationRequested(
            run_id=run_id or str(uuid.uuid4()), program_code=key.program_code,
            fiscal_year=key.fiscal_year, period=f"{key.fiscal_year}-11",
            division_code=key.division_code, payee_count=max(total_fen // 21_000, 1),
            total_fen=total_fen)

    async def request_allocation(self, key: AccountKey, total_fen: int,
                                 run_id: str | None = None) -> AllocationRequested:
        """Publish an allocation request as disbursement would."""
        request = self.allocation_request(key, total_fen, run_id)
        await self.publish(request)
        return request

    async def get(self, path: str, officer: str = AUDITOR) -> httpx.Response:
        return await self.http.get(path, headers=bearer(officer))

    async def post(self, path: str, officer: str = TREASURER) -> httpx.Response:
        return await self.http.post(path, headers=bearer(officer))

    async def approved_run(self, key: AccountKey, funded_fen: int, total_fen: int) -> str:
        """Fund the account and have a run's allocation approved; the run id."""
        await self.funded(key, funded_fen)
        async with tap(self.env, "fund_custody") as tapped:
            request = await self.request_allocation(key, total_fen)
            await self.published(tapped, "allocation.approved.v1", run_id=request.run_id)
        return request.run_id

    @staticmethod
    def settled(key: AccountKey, run_id: str, chunk: int, *amounts: int) -> PaymentsSettled:
        """A chunk of payments the bank settled, as disbursement reports it."""
        return PaymentsSettled(
            run_id=run_id, program_code=key.program_code, period=f"{key.fiscal_year}-11",
            division_code=key.division_code, chunk=chunk,
            payments=tuple(SettledPayment(payment_id=str(uuid.uuid4()), person_key=person(),
                                          certification_id=str(uuid.uuid4()), item="benefit",
                                          amount_fen=a, bank_reference=f"B{i}")
                           for i, a in enumerate(amounts)))

    async def settle(self, key: AccountKey, run_id: str, chunk: int,
                     *amounts: int) -> PaymentsSettled:
        """Publish, as disbursement, a chunk of payments the bank settled; wait for it."""
        event = self.settled(key, run_id, chunk, *amounts)
        await self.wait_processed(await self.publish(event))
        return event

    def returned(self, key: AccountKey, run_id: str, chunk: int,
                 *payments: tuple[str, int]) -> PaymentsReturned:
        """A chunk of (payment id, amount) the bank returned after settling them."""
        return PaymentsReturned(
            run_id=run_id, program_code=key.program_code, period=f"{key.fiscal_year}-11",
            division_code=key.division_code, chunk=chunk,
            payments=tuple(ReturnedPayment(payment_id=payment_id, person_key=person(),
                                           amount_fen=amount, reason="account closed",
                                           returned_on=date(key.fiscal_year, 12, 3))
                           for payment_id, amount in payments))

    async def complete(self, key: AccountKey, run_id: str, total_fen: int,
                       settled_fen: int) -> None:
        """Publish, as disbursement, that the run is complete; wait until it is taken."""
        await self.wait_processed(await self.publish(PaymentRunCompleted(
            run_id=run_id, program_code=key.program_code, period=f"{key.fiscal_year}-11",
            division_code=key.division_code, payee_count=10, total_fen=total_fen,
            settled_count=7, settled_fen=settled_fen, failed_count=3,
            failed_fen=total_fen - settled_fen)))

    @staticmethod
    async def published(tapped: EventTap, routing_key: str, **match: Any) -> dict[str, Any]:
        """The body of the first `routing_key` event whose fields include `match`."""
        async def found() -> dict[str, Any] | None:
            for seen in tapped.of_type(routing_key):
                if all(seen.body.get(k) == v for k, v in match.items()):
                    return seen.body
            return None
        body: dict[str, Any] = await eventually(found, what=f"{routing_key} with {match}")
        return body

    @staticmethod
    def bodies(tapped: EventTap, routing_key: str, **match: Any) -> list[dict[str, Any]]:
        return [t.body for t in tapped.of_type(routing_key)
                if all(t.body.get(k) == v for k, v in match.items())]

    async def dead_letter_reason(self, message_id: str) -> str:
        """Until the message is in fund custody's dead letters; the reason given."""
        admin_url = self.env.admin_amqp_url.rstrip("/") + "/" + self.env.name

        async def reason() -> str | None:
            for letter in await list_dead_letters(admin_url, "fund_custody", limit=1000):
                if letter["message_id"] == message_id:
                    return str(letter["reason"])
            return None

        found: str = await eventually(reason, what=f"{message_id} dead-lettered")
        return found

    async def fetchval(self, query: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.env.pg_dsn("fund_custody"))
        try:
            return await conn.fetchval(query, *args)
        finally:
            await conn.close()

    async def wait_processed(self, message_id: str) -> None:
        """Until the service has taken the message (its inbox row is committed)."""
        async def taken() -> bool:
            return bool(await self.fetchval("SELECT true FROM inbox WHERE message_id = $1",
                                            message_id))
        await eventually(taken, what=f"message {message_id} processed")


def bearer(officer: str) -> dict[str, str]:
    return {"Authorization": f"Bearer dev-{officer}"}


def person() -> str:
    return uuid.uuid4().hex * 2


@pytest.fixture(scope="module")
def fund_custody_process(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
                         ) -> Iterator[ServiceProcess]:
    logs: Path = tmp_path_factory.mktemp("fund_custody_logs")
    # Forecasts are recomputed at most every half second after a roster change.
    env_vars = {**siquan_env.service_env("fund_custody", port=free_port()),
                "SIQUAN_FORECAST_DEBOUNCE_SECONDS": "0.5"}
    process = ServiceProcess("fund_custody", env_vars, logs)
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
async def fc(siquan_env: Environment, fund_custody_process: ServiceProcess
             ) -> AsyncIterator[FundCustody]:
    driver = FundCustody(siquan_env, fund_custody_process)
    try:
        yield driver
    finally:
        await driver.http.aclose()


async def fresh_key(fc: FundCustody, wanted: Callable[[AccountKey], bool] = lambda _: True
                    ) -> AccountKey:
    """A special account no earlier test of the module touched: no account of its program
    in the year before (closing that year opens this one) nor in any later year (a later
    year's statement closes every earlier year)."""
    for candidate in _FRESH_KEYS:
        if wanted(candidate) and not await fc.fetchval(
                "SELECT count(*) FROM special_accounts WHERE program_code = $1"
                " AND fiscal_year >= $2 - 1 AND division_code = $3",
                candidate.program_code, candidate.fiscal_year, candidate.division_code):
            return candidate
    raise AssertionError("no fresh special account left")


@pytest.fixture
async def key(fc: FundCustody) -> AccountKey:
    return await fresh_key(fc)
