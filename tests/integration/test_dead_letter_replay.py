"""An operator inspects a dead letter and, once its cause is fixed, replays it to the queue
it came from: a payment result that reached fund custody before the run it belongs to."""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from siquan.contracts.disbursement_v1 import AllocationRequested, PaymentsSettled, SettledPayment
from siquan.shared.dead_letters import list_dead_letters
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.integration
TREASURY = {"Authorization": "Bearer dev-treasury-420117-01"}


@pytest.fixture(scope="module")
def fund_custody(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[ServiceProcess]:
    process = ServiceProcess("fund_custody",
                             siquan_env.service_env("fund_custody", port=free_port()),
                             Path(tmp_path_factory.mktemp("logs")))
    yield process.start()
    process.stop()


def _operator(env: Environment, *args: str) -> object:
    result = subprocess.run(
        [sys.executable, "-m", "siquan.shared.dead_letters", *args],
        env={**os.environ, "SIQUAN_AMQP_URL": env.amqp_url("fund_custody")},
        capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


async def _paid(fund_custody: ServiceProcess, run_id: str) -> int:
    async with httpx.AsyncClient(base_url=fund_custody.url) as http:
        allocation = (await http.get(f"/allocations/{run_id}", headers=TREASURY)).json()
    return int(allocation["paid_fen"])


async def test_a_dead_letter_replayed_after_its_cause_is_fixed_takes_effect_once(
        siquan_env: Environment, fund_custody: ServiceProcess) -> None:
    run_id = str(uuid.uuid4())
    common = {"run_id": run_id, "program_code": "special_assistance", "period": "2026-10",
              "division_code": "420117"}
    settled = PaymentsSettled(**common, chunk=0, payments=(SettledPayment(
        payment_id=str(uuid.uuid4()), person_key="b" * 64, certification_id="c1",
        item="benefit", amount_fen=21_000, bank_reference="B1"),))
    early = await publish_as(siquan_env, settled)

    async def dead_lettered() -> list[dict[str, object]]:
        return [d for d in await list_dead_letters(siquan_env.amqp_url("fund_custody"),
                                                   "fund_custody")
                if d["message_id"] == early]

    letter = (await eventually(dead_lettered, what="early result dead-lettered"))[0]
    listed = _operator(siquan_env, "list", "fund_custody")
    assert any(d["message_id"] == early for d in listed)  # type: ignore[union-attr]

    async with httpx.AsyncClient(base_url=fund_custody.url) as http:
        await http.post("/appropriations", headers=TREASURY, json={
            "program_code": "special_assistance", "fiscal_year": 2026, "division_code": "420117",
            "fiscal_level": "central", "amount_fen": 21_000})
    async with tap(siquan_env, "fund_custody") as seen:
        await publish_as(siquan_env, AllocationRequested(
            **common, fiscal_year=2026, payee_count=1, total_fen=21_000))
        await seen.wait_for("allocation.approved.v1")
    assert await _paid(fund_custody, run_id) == 0

    assert _operator(siquan_env, "replay", "fund_custody", "--message-id", early) == {
        "replayed": 1}

    async def paid() -> bool:
        return await _paid(fund_custody, run_id) == 21_000

    await eventually(paid, what="the replayed chunk applied")
    assert letter["queue"] == "siquan.fund_custody.from-disbursement"
    assert f"run {run_id} has no allocation" in str(letter["reason"])
    assert await dead_lettered() == []
