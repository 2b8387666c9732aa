"""The program report: certified vs. allocated vs. paid vs. failed vs. settled, per program,
period and division, kept from the events as they are logged."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.base import Event
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as

Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]
Command = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]
PERIOD = "2026-11"
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


def granted(program: str, division: str, certification_id: str) -> Event:
    return eligibility.CertificationGranted(
        certification_id=certification_id, application_id=str(uuid.uuid4()),
        program_code=program, category="standard", policy_version="2026.1",
        person_key=secrets.token_hex(32), masked_name="李*",
        masked_resident_id="4201**********0011", division_code=division,
        effective_from=date(2026, 1, 1), reviewed_by="reviewer-420117-01",
        approved_by="approver-420117-01", approved_at=NOW)


def settled(run: dict[str, str], chunk: int, amounts: list[int]) -> Event:
    return disbursement.PaymentsSettled(chunk=chunk, payments=tuple(
        disbursement.SettledPayment(payment_id=str(uuid.uuid4()),
                                    person_key=secrets.token_hex(32), certification_id="c",
                                    item=PERIOD, amount_fen=amount, bank_reference=f"B{n}")
        for n, amount in enumerate(amounts)), **run)


def a_program_cycle(program: str) -> list[Event]:
    """Three certified in the county (one revoked later), one elsewhere; a run paying
    two chunks (one delivered twice under a new message id), one failed payment."""
    run = {"run_id": str(uuid.uuid4()), "program_code": program, "period": PERIOD,
           "division_code": "420117"}
    revoked_id = str(uuid.uuid4())
    return [
        granted(program, "420117", str(uuid.uuid4())),
        granted(program, "420117", str(uuid.uuid4())),
        granted(program, "420117", revoked_id),
        granted(program, "420102", str(uuid.uuid4())),
        eligibility.CertificationRevoked(
            certification_id=revoked_id, program_code=program,
            person_key=secrets.token_hex(32), division_code="420117",
            effective_from=date(2026, 12, 1), reason="death reported",
            revoked_by="approver-420117-01"),
        disbursement.PaymentRunStarted(payee_count=4, total_fen=40_000, skipped=(),
                                       started_by="disburser-420117-01", **run),
        fund_custody.AllocationApproved(allocation_id=str(uuid.uuid4()), amount_fen=40_000,
                                        available_fen=960_000, **run),
        settled(run, 0, [10_000, 10_000]),
        settled(run, 0, [10_000, 10_000]),
        settled(run, 1, [10_000]),
        disbursement.PaymentsFailed(chunk=0, payments=(disbursement.FailedPayment(
            payment_id=str(uuid.uuid4()), person_key=secrets.token_hex(32),
            amount_fen=10_000, reason="account closed"),), **run),
        disbursement.PaymentRunCompleted(payee_count=4, total_fen=40_000, settled_count=3,
                                         settled_fen=30_000, failed_count=1,
                                         failed_fen=10_000, **run),
        fund_custody.SettlementCompleted(reserved_fen=40_000, paid_fen=30_000,
                                         released_fen=10_000, available_fen=970_000, **run),
    ]


async def published(env: Environment, events: list[Event], logged: Logged) -> None:
    correlation = f"report-{uuid.uuid4()}"
    for event in events:
        await publish_as(env, event, correlation_id=correlation)
    # The auditor of 420117 sees the entries of the county's events only.
    await logged(correlation, sum(getattr(e, "division_code", "") == "420117" for e in events))


EXPECTED = {"certified_count": 2, "allocated_fen": 40_000, "paid_fen": 30_000,
            "paid_count": 3, "failed_fen": 10_000, "failed_count": 1, "settled_fen": 30_000}


def program_code() -> str:
    return f"report_test_{secrets.token_hex(4)}"


async def test_the_report_shows_the_exact_amounts_of_a_county_run(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    program = program_code()
    events = a_program_cycle(program)
    await published(siquan_env, events, logged)

    response = await auditor.get(f"/reports/{program}/{PERIOD}",
                                 params={"division_code": "420117"})

    assert response.status_code == 200
    report = response.json()
    assert {k: report[k] for k in EXPECTED} == EXPECTED
    run_id = events[-1].model_dump()["run_id"]
    assert report["runs"] == [{"run_id": run_id, "division_code": "420117",
                               "status": "settled", "allocated_fen": 40_000,
                               "paid_fen": 30_000, "settled_fen": 30_000}]


async def test_the_report_command_prints_the_same_figures(
        siquan_env: Environment, logged: Logged, oversight_command: Command) -> None:
    program = program_code()
    await published(siquan_env, a_program_cycle(program), logged)

    code, county = await oversight_command("report", program, PERIOD, "--division", "420117")
    _, everywhere = await oversight_command("report", program, PERIOD)

    assert code == 0
    assert {k: county[k] for k in EXPECTED} == EXPECTED
    assert everywhere["certified_count"] == 3 and everywhere["paid_fen"] == 30_000


async def test_an_auditor_cannot_read_another_countys_report(
        auditor: httpx.AsyncClient) -> None:
    response = await auditor.get(f"/reports/{program_code()}/{PERIOD}",
                                 params={"division_code": "420102"})

    assert response.status_code == 403
