"""Disbursement killed (SIGKILL) in the middle of a payment run and restarted: the run
completes, every payee is paid exactly once at the bank, fund custody's books and
oversight's report agree to the fen, and a redelivered payment message pays nothing more."""

from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from siquan.contracts.disbursement_v1 import PaymentsSettled
from siquan.shared.operator.client import Officers
from siquan.shared.operator.county_cycle import (
    Beneficiary,
    CountyCycle,
    RunPlan,
    account_number,
    expected_total,
)
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually

pytestmark = pytest.mark.e2e

PLAN = RunPlan("special_assistance", "2026-12")
PAYEES = 8


@pytest.fixture(scope="module")
def slow_bank_cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory
                      ) -> Iterator[Cluster]:
    base = Path(tmp_path_factory.mktemp("crash"))
    slow = {"SIQUAN_PAYMENT_CHUNK_SIZE": "1", "SIQUAN_BANK_LATENCY_MS": "150"}
    with running_cluster(siquan_env, base / "logs", extra_env={"disbursement": slow}
                         ) as cluster:
        yield cluster


async def _transfers(env: Environment) -> list[asyncpg.Record]:
    return await env.fetch("banksim", "SELECT account_number, amount_fen, outcome FROM transfers")


async def test_a_run_killed_midway_pays_everyone_exactly_once_after_restart(
        slow_bank_cluster: Cluster) -> None:
    cluster, env = slow_bank_cluster, slow_bank_cluster.env
    residents = ResidentFactory("420117", birth_year=1961)
    people = [Beneficiary(residents.next(), "周玉梅", PLAN.program_code, "death")
              for _ in range(PAYEES)]
    cycle = CountyCycle.of(cluster)
    try:
        await cycle.certify_all(people)
        for index, person in enumerate(people):
            await cycle.register_account(person, account_number(100 + index))
        owed = expected_total(people, PLAN)
        await cycle.appropriate(PLAN, owed)
        await cycle.wait_until_disbursement_knows(PAYEES, PLAN.program_code)
        async with tap(env, "disbursement") as seen:
            started = await cycle.disbursement.call("POST", "/runs", Officers.disburser, json={
                "program_code": PLAN.program_code, "period": PLAN.period,
                "division_code": "420117"})

            async def midway() -> bool:
                return 1 <= len(await _transfers(env)) < PAYEES - 2

            await eventually(midway, timeout=60, interval=0.02, what="a run half paid")
            cluster.processes["disbursement"].kill()
            paid_when_killed = len(await _transfers(env))
            cluster.processes["disbursement"].start()

            run = await cycle.pay_result(started["run_id"])
            first_chunk = (await seen.wait_for("payments.settled.v1"))[0]
        report = await cycle.report(PLAN, settled_fen=owed)
        transfers = await _transfers(env)
        account = await cycle.fund_custody.call(
            "GET", f"/accounts/{PLAN.program_code}/{PLAN.fiscal_year}/420117",
            Officers.treasury)

        await publish_as(env, PaymentsSettled.model_validate(first_chunk.body),
                         message_id=first_chunk.message_id)
        again = await cycle.fund_custody.call(
            "GET", f"/accounts/{PLAN.program_code}/{PLAN.fiscal_year}/420117",
            Officers.treasury)
        report_again = await cycle.report(PLAN, settled_fen=owed)
    finally:
        await cycle.close()

    assert 1 <= paid_when_killed < PAYEES
    assert run["status"] == "completed"
    assert run["counts"] == {"settled": PAYEES, "failed": 0, "cancelled": 0, "pending": 0}
    assert len(transfers) == PAYEES
    assert len({t["account_number"] for t in transfers}) == PAYEES
    assert sum(t["amount_fen"] for t in transfers if t["outcome"] == "settled") == owed
    assert (report["paid_count"], report["paid_fen"], report["settled_fen"]) == (
        PAYEES, owed, owed)
    assert (account["paid_out_fen"], account["reserved_fen"]) == (owed, 0)
    assert again == account
    assert (report_again["paid_count"], report_again["paid_fen"]) == (PAYEES, owed)
