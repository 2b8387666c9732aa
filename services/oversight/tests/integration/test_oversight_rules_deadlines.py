"""What the sweep finds once a deadline passes on oversight's clock (moved through
`SIQUAN_CLOCK_FILE`): certified persons of a county with a run for the period but unpaid
after the deadline (漏), and certification timeliness below the target."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts.base import Event
from siquan.contracts.public_security_v1 import DeathReported
from siquan.shared.clock import FileClock
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.processes import free_port
from siquan.shared.testing.waiting import eventually

APPROVER, REVIEWER, DISBURSER = "approver-420117-01", "reviewer-420117-01", "disburser-420117-01"


@pytest.fixture(scope="module")
def clock_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("clock")) / "now"


@pytest.fixture(scope="module")
def clock_file(clock_path: Path) -> Iterator[FileClock]:
    clock = FileClock(clock_path)
    clock.set(datetime(2026, 10, 20, 9, 0, tzinfo=UTC))
    yield clock


@pytest.fixture(scope="module")
def oversight_vars(siquan_env: Environment, clock_path: Path, clock_file: FileClock
                   ) -> dict[str, str]:
    return {**siquan_env.service_env("oversight", port=free_port()),
            "SIQUAN_CHECKPOINT_SECONDS": "3600", "SIQUAN_RECONCILIATION_GRACE_SECONDS": "1",
            "SIQUAN_RECONCILIATION_SWEEP_SECONDS": "0.2",
            "SIQUAN_CLOCK_FILE": str(clock_path),
            "SIQUAN_OMISSION_DEADLINE_DAYS": "30", "SIQUAN_TIMELINESS_TARGET_DAYS": "30",
            "SIQUAN_TIMELINESS_TARGET_RATE": "0.9", "SIQUAN_TIMELINESS_MIN_APPLICATIONS": "4",
            "SIQUAN_TIMELINESS_CHECK_SECONDS": "0.2"}


def granted(person_key: str, *, application_id: str | None = None,
            approved_at: datetime | None = None, division: str = "420117"
            ) -> eligibility.CertificationGranted:
    return eligibility.CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=application_id or str(uuid.uuid4()),
        program_code="special_assistance", category="death", policy_version="wuhan-2012",
        person_key=person_key, masked_name="王*", masked_resident_id="4201**********0011",
        division_code=division, effective_from=date(2026, 1, 1), reviewed_by=REVIEWER,
        approved_by=APPROVER, approved_at=approved_at or datetime(2026, 1, 5, tzinfo=UTC))


async def findings_of(auditor: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    response = await auditor.get("/findings", params=params)
    response.raise_for_status()
    return list(response.json())


async def swept(auditor: httpx.AsyncClient, times: int = 2) -> None:
    """Wait until the sweep ran `times` more passes."""
    async def sweeps() -> int:
        return int((await auditor.get("/reconciliation/status")).json()["sweeps"])

    start = await sweeps()

    async def more() -> bool:
        return await sweeps() >= start + times

    await eventually(more, timeout=30, what=f"{times} sweeps")


async def published(env: Environment, events: list[Event], auditor: httpx.AsyncClient
                    ) -> list[str]:
    correlation = f"deadline-{uuid.uuid4()}"
    ids = [await publish_as(env, e, correlation_id=correlation) for e in events]

    async def all_logged() -> bool:
        response = await auditor.get("/audit/entries", params={"correlation_id": correlation})
        return len(response.json()) == len(events)

    await eventually(all_logged, what="events logged")
    return ids


async def test_a_certified_person_unpaid_after_the_deadline_is_an_omission(
        siquan_env: Environment, auditor: httpx.AsyncClient, clock_file: FileClock) -> None:
    paid_person, unpaid, dead = (granted(secrets.token_hex(32)) for _ in range(3))
    run = {"run_id": str(uuid.uuid4()), "program_code": "special_assistance",
           "period": "2026-09", "division_code": "420117"}
    ids = await published(siquan_env, [
        paid_person, unpaid, dead,
        DeathReported(report_id="PS-1", person_key=dead.person_key,
                      date_of_death=date(2026, 8, 2)),
        disbursement.PaymentRunStarted(payee_count=1, total_fen=21_000, skipped=(),
                                       started_by=DISBURSER, **run),
        disbursement.PaymentsSettled(chunk=0, payments=(disbursement.SettledPayment(
            payment_id=str(uuid.uuid4()), person_key=paid_person.person_key,
            certification_id=paid_person.certification_id, item="benefit",
            amount_fen=21_000, bank_reference="B1"),), **run)], auditor)
    await swept(auditor)
    assert await findings_of(auditor, rule="certified_not_paid") == []

    clock_file.set(datetime(2026, 10, 31, 0, 1, tzinfo=UTC))

    async def omitted() -> list[dict[str, Any]]:
        return await findings_of(auditor, rule="certified_not_paid")

    (finding,) = await eventually(omitted, what="the omission found")
    assert finding["category"] == "wrong_payment"
    assert (finding["person_key"], finding["period"]) == (unpaid.person_key, "2026-09")
    assert finding["evidence"] == [ids[1], ids[4]]
    assert (finding["officer_id"], finding["amount_fen"]) == (DISBURSER, 21_000)
    await swept(auditor)
    assert len(await omitted()) == 1


async def test_certification_timeliness_below_target_is_found_for_the_division(
        siquan_env: Environment, auditor: httpx.AsyncClient, clock_file: FileClock) -> None:
    clock_file.set(datetime(2026, 11, 10, tzinfo=UTC))
    division = "420117"
    submitted = datetime(2025, 3, 2, tzinfo=UTC)
    waits = [5, 20, 60, None]  # days to approval; None: still undecided
    events: list[Event] = []
    for wait in waits:
        application_id = str(uuid.uuid4())
        person_key = secrets.token_hex(32)
        events.append(eligibility.ApplicationSubmitted(
            application_id=application_id, program_code="special_assistance",
            category="death", person_key=person_key, masked_name="李*",
            division_code=division, submitted_by="clerk-420117-01", submitted_at=submitted))
        if wait is not None:
            events.append(granted(person_key, application_id=application_id,
                                  approved_at=submitted + timedelta(days=wait)))
    ids = await published(siquan_env, events, auditor)

    async def late() -> list[dict[str, Any]]:
        return await findings_of(auditor, rule="certification_timeliness_below_target")

    (finding,) = await eventually(late, what="timeliness below target found")
    assert finding["category"] == "wrong_eligibility_decision"
    assert finding["division_code"] == division
    assert "2 of 4" in finding["reason"]
    late_submissions = {ids[4], ids[6]}  # approved after 60 days, and never decided
    assert set(finding["evidence"]) == late_submissions
