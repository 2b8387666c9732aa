"""Statements (一鼓励): what was certified, allocated and paid for a person per period, for
an auditor by person key; a complainant learns only their complaint's status (the person's
own statement opens with a one-time code: tests/e2e/test_public_statements.py)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.base import Event
from siquan.shared.person import person_key
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.processes import ServiceProcess
from siquan.shared.testing.residents import ResidentFactory

Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]
PROGRAM, PERIOD, STANDARD_FEN = "reward_assistance_rural", "2026", 120_000
SECRET = TEST_PERSON_KEY_SECRET
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def public(oversight: ServiceProcess) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=oversight.url, timeout=30.0) as client:
        yield client


def paid_cycle(key: str, other: str) -> list[Event]:
    """The person certified and paid in a run that was allocated funds; someone else's
    payment fails in the same run."""
    certification_id = str(uuid.uuid4())
    run = {"run_id": str(uuid.uuid4()), "program_code": PROGRAM, "period": PERIOD,
           "division_code": "420117"}
    return [
        eligibility.CertificationGranted(
            certification_id=certification_id, application_id=str(uuid.uuid4()),
            program_code=PROGRAM, category="standard", policy_version="national-2009",
            person_key=key, masked_name="李*", masked_resident_id="1101**********002X",
            division_code="420117", effective_from=date(2026, 1, 1),
            reviewed_by="reviewer-420117-01", approved_by="approver-420117-01",
            approved_at=NOW),
        disbursement.PaymentRunStarted(payee_count=2, total_fen=2 * STANDARD_FEN,
                                       skipped=(), started_by="disburser-420117-01", **run),
        fund_custody.AllocationApproved(allocation_id=str(uuid.uuid4()),
                                        amount_fen=2 * STANDARD_FEN,
                                        available_fen=10_000_000, **run),
        disbursement.PaymentsSettled(chunk=0, payments=(disbursement.SettledPayment(
            payment_id=str(uuid.uuid4()), person_key=key, certification_id=certification_id,
            item=PERIOD, amount_fen=STANDARD_FEN, bank_reference="B1"),), **run),
        disbursement.PaymentsFailed(chunk=0, payments=(disbursement.FailedPayment(
            payment_id=str(uuid.uuid4()), person_key=other, amount_fen=STANDARD_FEN,
            reason="account closed"),), **run),
    ]


async def published(env: Environment, logged: Logged, events: list[Event]) -> None:
    correlation = f"statement-{uuid.uuid4()}"
    for event in events:
        await publish_as(env, event, correlation_id=correlation)
    await logged(correlation, len(events))


EXPECTED = {"program_code": PROGRAM, "period": PERIOD, "certified": True,
            "certified_fen": STANDARD_FEN, "allocated": True, "paid_fen": STANDARD_FEN,
            "failed_fen": 0, "outstanding_fen": 0}


def figures(statement: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: period[k] for k in EXPECTED} for period in statement["periods"]]


async def test_an_auditor_sees_what_was_certified_allocated_and_paid_for_a_person(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    key = secrets.token_hex(32)
    await published(siquan_env, logged, paid_cycle(key, secrets.token_hex(32)))

    response = await auditor.get(f"/statements/{key}")

    assert response.status_code == 200
    statement = response.json()
    assert figures(statement) == [EXPECTED]
    assert [(c["category"], c["status"], c["masked_name"])
            for c in statement["certifications"]] == [("standard", "active", "李*")]


async def test_a_complaint_naming_a_person_shows_its_own_status_and_nothing_of_the_person(
        siquan_env: Environment, logged: Logged, public: httpx.AsyncClient) -> None:
    resident_id = ResidentFactory().next()
    await published(siquan_env, logged,
                    paid_cycle(person_key(SECRET, resident_id), secrets.token_hex(32)))
    filed = await public.post("/public/complaints", json={
        "category": "not_paid_in_full", "division_code": "420117",
        "resident_id": resident_id, "description": "想核对2026年度发放情况"})
    number = filed.json()["tracking_number"]

    status = await public.get(f"/public/complaints/{number}", params={"format": "json"})
    by_tracking = await public.get(f"/public/statements/{number}", params={"format": "json"})

    assert status.status_code == 200 and status.json()["status"] == "open"
    shown = status.text
    assert not any(leak in shown for leak in ("1,200", "120000", "李*", "periods",
                                              resident_id, person_key(SECRET, resident_id)))
    assert by_tracking.status_code in (404, 405)
    assert "periods" not in by_tracking.text


async def test_a_person_never_paid_by_a_run_shows_the_amount_outstanding(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    key, other = secrets.token_hex(32), secrets.token_hex(32)
    cycle = paid_cycle(other, key)  # `key` is certified below but only fails in the run
    granted = cycle[0].model_copy(update={"person_key": key,
                                          "certification_id": str(uuid.uuid4())})
    await published(siquan_env, logged, [*cycle, granted])

    [period] = (await auditor.get(f"/statements/{key}")).json()["periods"]

    assert (period["certified_fen"], period["paid_fen"], period["failed_fen"],
            period["outstanding_fen"]) == (STANDARD_FEN, 0, STANDARD_FEN, STANDARD_FEN)


async def test_an_auditor_cannot_read_statements_with_a_malformed_person_key(
        auditor: httpx.AsyncClient) -> None:
    assert (await auditor.get("/statements/not-a-key")).status_code == 422
