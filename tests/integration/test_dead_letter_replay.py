"""An operator inspects a dead letter and, once its cause is fixed, replays it to the queue
it came from: a payment result that reached fund custody before the run it belongs to."""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
AUDITOR = {"Authorization": "Bearer dev-auditor-420117-01"}


@pytest.fixture(scope="module")
def fund_custody(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[ServiceProcess]:
    process = ServiceProcess("fund_custody",
                             siquan_env.service_env("fund_custody", port=free_port()),
                             Path(tmp_path_factory.mktemp("logs")))
    yield process.start()
    process.stop()


def _operator(env: Environment, *args: str, code: int = 0) -> Any:
    result = subprocess.run(
        [sys.executable, "-m", "siquan.shared.dead_letters", *args],
        env={**os.environ, "SIQUAN_AMQP_URL": env.amqp_url("fund_custody"),
             "SIQUAN_PG_DSN": env.pg_dsn("fund_custody")},
        capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == code, result.stderr
    return json.loads(result.stdout)


def _early_result(run_id: str) -> PaymentsSettled:
    return PaymentsSettled(run_id=run_id, program_code="special_assistance", period="2026-10",
                           division_code="420117", chunk=0, payments=(SettledPayment(
                               payment_id=str(uuid.uuid4()), person_key="b" * 64,
                               certification_id="c1", item="benefit", amount_fen=21_000,
                               bank_reference="B1"),))


async def _dead_lettered(env: Environment, message_id: str) -> list[dict[str, Any]]:
    return [d for d in await list_dead_letters(env.amqp_url("fund_custody"), "fund_custody")
            if d["message_id"] == message_id]


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

    assert _operator(siquan_env, "replay", "fund_custody", "--message-id", early,
                     code=2) == {"error": "an officer and a reason are required to replay"
                                          " or discard"}
    assert _operator(siquan_env, "replay", "fund_custody", "--message-id", early,
                     "--officer", "treasury-420117-01",
                     "--reason", "the allocation has arrived") == {
        "replayed": 1, "officer": "treasury-420117-01"}

    async def paid() -> bool:
        return await _paid(fund_custody, run_id) == 21_000

    await eventually(paid, what="the replayed chunk applied")
    assert letter["queue"] == "siquan.fund_custody.from-disbursement"
    assert f"run {run_id} has no allocation" in str(letter["reason"])
    assert await dead_lettered() == []


async def test_an_operator_summarises_inspects_and_discards_dead_letters_with_a_reason(
        siquan_env: Environment, fund_custody: ServiceProcess) -> None:
    first = await publish_as(siquan_env, _early_result(str(uuid.uuid4())))
    second = await publish_as(siquan_env, _early_result(str(uuid.uuid4())))

    async def both() -> bool:
        return bool(await _dead_lettered(siquan_env, first)
                    and await _dead_lettered(siquan_env, second))
    await eventually(both, what="both results dead-lettered")

    queue = "siquan.fund_custody.from-disbursement"
    summary = _operator(siquan_env, "summary", "fund_custody", "--queue", queue)
    assert any(row["queue"] == queue and "has no allocation" in row["reason"]
               and row["count"] >= 2 for row in summary)
    letter = _operator(siquan_env, "inspect", "fund_custody", "--message-id", first)
    assert letter["type"] == "payments.settled.v1"
    assert letter["body"]["payments"][0]["amount_fen"] == 21_000
    assert letter["headers"]["x-siquan-producer"] == "disbursement"
    async with httpx.AsyncClient(base_url=fund_custody.url) as http:
        refused = await http.get("/dead-letters", headers=TREASURY)
        listed = (await http.get("/dead-letters", params={"queue": queue},
                                 headers=AUDITOR)).json()
    assert refused.status_code == 403
    assert {first, second} <= {d["message_id"] for d in listed["letters"]}

    assert _operator(siquan_env, "discard", "fund_custody", "--message-id", first,
                     "--officer", "treasury-420117-01",
                     "--reason", "a test result, never a real payment") == {
        "discarded": 1, "officer": "treasury-420117-01"}

    assert await _dead_lettered(siquan_env, first) == []
    assert len(await _dead_lettered(siquan_env, second)) == 1
    recorded = await siquan_env.fetch(
        "fund_custody", "SELECT action, queue, officer_id, reason, dead_reason FROM"
        " dead_letter_actions WHERE message_id = $1", first)
    assert [tuple(r[:4]) for r in recorded] == [
        ("discard", queue, "treasury-420117-01", "a test result, never a real payment")]
    assert "has no allocation" in recorded[0]["dead_reason"]
