"""The auditor's side of reconciliation: everything about one person, application, run or
officer; resolving findings and lifting holds; the accountability report in JSON and HTML."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.base import Event
from siquan.contracts.batches import BatchEntry, batch_for
from siquan.contracts.public_security_v1 import DeathReported
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.processes import free_port
from siquan.shared.testing.waiting import eventually

APPROVER, REVIEWER, DISBURSER = "approver-420117-01", "reviewer-420117-01", "disburser-420117-01"
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)
Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]


@pytest.fixture(scope="module")
def oversight_vars(siquan_env: Environment) -> dict[str, str]:
    return {**siquan_env.service_env("oversight", port=free_port()),
            "SIQUAN_CHECKPOINT_SECONDS": "3600", "SIQUAN_RECONCILIATION_GRACE_SECONDS": "1",
            "SIQUAN_RECONCILIATION_SWEEP_SECONDS": "0.2"}


def granted(person_key: str, *, program: str = "special_assistance", category: str = "death",
            approved_by: str = APPROVER, application_id: str | None = None
            ) -> eligibility.CertificationGranted:
    return eligibility.CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=application_id or str(uuid.uuid4()),
        program_code=program, category=category, policy_version="v", person_key=person_key,
        masked_name="王*", masked_resident_id="4201**********0011", division_code="420117",
        effective_from=date(2026, 1, 1), reviewed_by=REVIEWER, approved_by=approved_by,
        approved_at=NOW)


def run_of(program: str = "special_assistance", period: str = "2026-11") -> dict[str, str]:
    return {"run_id": str(uuid.uuid4()), "program_code": program, "period": period,
            "division_code": "420117"}


def payment(cert: eligibility.CertificationGranted, amount: int
            ) -> disbursement.SettledPayment:
    return disbursement.SettledPayment(
        payment_id=str(uuid.uuid4()), person_key=cert.person_key,
        certification_id=cert.certification_id, item="benefit", amount_fen=amount,
        bank_reference=f"B{secrets.token_hex(4)}")


async def published(env: Environment, events: list[Event], logged: Logged) -> list[str]:
    """Publish each event once the one before it is logged (producers' queues are
    consumed side by side, so only that fixes the order of the log)."""
    correlation = f"queries-{uuid.uuid4()}"
    ids = []
    for n, event in enumerate(events, start=1):
        ids.append(await publish_as(env, event, correlation_id=correlation))
        await logged(correlation, n)
    return ids


async def get(auditor: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await auditor.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def types_of(answer: dict[str, Any]) -> list[str]:
    return [e["message_type"] for e in answer["entries"]]


async def test_everything_about_a_person_comes_in_one_answer(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    cert, other, run = granted(secrets.token_hex(32)), granted(secrets.token_hex(32)), run_of()
    ids = await published(siquan_env, [
        cert, other,
        disbursement.PayeeAccountRegistered(
            person_key=cert.person_key, bank_code="ABC", masked_account="****1234",
            registered_by=DISBURSER, registered_at=NOW, replaces_previous=False),
        disbursement.PaymentRunStarted(payee_count=2, total_fen=42_000, skipped=(),
                                       started_by=DISBURSER, **run),
        disbursement.PaymentsSettled(chunk=0, payments=(payment(cert, 21_000),
                                                        payment(other, 21_000)), **run),
        disbursement.PaymentsFailed(chunk=1, payments=(disbursement.FailedPayment(
            payment_id=str(uuid.uuid4()), person_key=cert.person_key, amount_fen=21_000,
            reason="account closed"),), **run)], logged)

    answer = await get(auditor, f"/audit/persons/{cert.person_key}",
                       purpose="complaint about a failed payment")

    assert [e["message_id"] for e in answer["entries"]] == [ids[0], ids[2], ids[4], ids[5]]
    assert answer["findings"] == [] and answer["holds"] == []
    assert answer["person"] == cert.person_key


async def test_everything_about_an_application_follows_its_certification(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    person_key, application_id = secrets.token_hex(32), str(uuid.uuid4())
    cert = granted(person_key, application_id=application_id)
    await published(siquan_env, [
        eligibility.ApplicationSubmitted(
            application_id=application_id, program_code="special_assistance",
            category="death", person_key=person_key, masked_name="王*",
            division_code="420117", submitted_by="clerk-420117-01", submitted_at=NOW),
        eligibility.ApplicationReviewed(
            application_id=application_id, program_code="special_assistance",
            person_key=person_key, division_code="420117", outcome="approved",
            reviewed_by=REVIEWER, reviewed_at=NOW),
        cert, granted(secrets.token_hex(32)),
        eligibility.CertificationRevoked(
            certification_id=cert.certification_id, program_code=cert.program_code,
            person_key=person_key, division_code="420117", effective_from=date(2027, 1, 1),
            reason="loss of status", revoked_by=APPROVER)], logged)

    answer = await get(auditor, f"/audit/applications/{application_id}")

    assert types_of(answer) == ["application.submitted.v1", "application.reviewed.v1",
                                "certification.granted.v1", "certification.revoked.v1"]


def batch(*events: Event) -> Event:
    """The events as one batch message (`<type>.batch.v1`), as a producer's outbox packs
    the many events of one type its work published."""
    return batch_for(events[0].routing_key)(events=[  # type: ignore[misc]
        BatchEntry(message_id=str(uuid.uuid4()), event=e) for e in events])


async def test_everything_about_a_person_and_an_application_reaches_into_batches(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    person_key, application_id = secrets.token_hex(32), str(uuid.uuid4())
    cert, other = granted(person_key, application_id=application_id), granted(
        secrets.token_hex(32))

    def submitted(application: str, person: str) -> eligibility.ApplicationSubmitted:
        return eligibility.ApplicationSubmitted(
            application_id=application, program_code="special_assistance", category="death",
            person_key=person, masked_name="王*", division_code="420117",
            submitted_by="clerk-420117-01", submitted_at=NOW)

    ids = await published(siquan_env, [
        batch(submitted(str(uuid.uuid4()), other.person_key),
              submitted(application_id, person_key)),
        batch(other, cert), batch(granted(secrets.token_hex(32)), granted(secrets.token_hex(32))),
        eligibility.CertificationRevoked(
            certification_id=cert.certification_id, program_code=cert.program_code,
            person_key=person_key, division_code="420117", effective_from=date(2027, 1, 1),
            reason="loss of status", revoked_by=APPROVER)], logged)

    about_application = await get(auditor, f"/audit/applications/{application_id}")
    about_person = await get(auditor, f"/audit/persons/{person_key}", purpose="complaint")

    assert types_of(about_application) == [
        "application.submitted.batch.v1", "certification.granted.batch.v1",
        "certification.revoked.v1"]
    assert [e["message_id"] for e in about_person["entries"]] == [ids[0], ids[1], ids[3]]


async def test_everything_about_a_run_pages_through_its_entries(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    run, cert = run_of(), granted(secrets.token_hex(32))
    events: list[Event] = [
        cert, disbursement.PaymentRunStarted(payee_count=1, total_fen=21_000, skipped=(),
                                             started_by=DISBURSER, **run),
        fund_custody.AllocationApproved(allocation_id=str(uuid.uuid4()), amount_fen=21_000,
                                        available_fen=0, **run),
        disbursement.PaymentsSettled(chunk=0, payments=(payment(cert, 21_000),), **run),
        fund_custody.SettlementCompleted(reserved_fen=21_000, paid_fen=21_000,
                                         released_fen=0, available_fen=0, **run)]
    ids = await published(siquan_env, events, logged)

    first = await get(auditor, f"/audit/runs/{run['run_id']}", limit=2)
    rest = await get(auditor, f"/audit/runs/{run['run_id']}",
                     after_seq=first["next_after_seq"])

    assert [e["message_id"] for e in first["entries"] + rest["entries"]] == ids[1:]
    assert rest["next_after_seq"] is None


async def test_everything_an_officer_did_across_the_powers(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    officer = f"approver-x-{secrets.token_hex(3)}"
    cert = granted(secrets.token_hex(32), approved_by=officer)
    ids = await published(siquan_env, [
        cert, granted(secrets.token_hex(32)),
        disbursement.PaymentRunStarted(payee_count=0, total_fen=0, skipped=(),
                                       started_by=officer, **run_of())], logged)

    answer = await get(auditor, f"/audit/officers/{officer}")

    assert [e["message_id"] for e in answer["entries"]] == [ids[0], ids[2]]


async def a_false_claim(env: Environment, auditor: httpx.AsyncClient
                        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A payment after death: its finding and the hold it placed."""
    cert, run = granted(secrets.token_hex(32)), run_of()
    for event in (cert, DeathReported(report_id="PS-9", person_key=cert.person_key,
                                      date_of_death=date(2026, 9, 9)),
                  disbursement.PaymentsSettled(chunk=0, payments=(payment(cert, 21_000),),
                                               **run)):
        await publish_as(env, event)

    async def held() -> list[dict[str, Any]]:
        return list(await get(auditor, "/holds", person_key=cert.person_key))

    (hold,) = await eventually(held, what="a hold placed")
    finding = await get(auditor, f"/findings/{hold['finding_id']}")
    return finding, hold


async def test_an_auditor_resolves_a_finding_once_and_it_is_published(
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    finding, _ = await a_false_claim(siquan_env, auditor)
    path = f"/findings/{finding['finding_id']}/resolve"

    async with tap(siquan_env, "oversight") as seen:
        response = await auditor.post(path, json={"outcome": "confirmed",
                                                  "resolution": "overpayment recovered"})
        (event,) = await seen.wait_for("finding.resolved.v1")
    again = await auditor.post(path, json={"outcome": "dismissed", "resolution": "no"})
    after = await get(auditor, f"/findings/{finding['finding_id']}")

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["outcome"]) == ("resolved", "confirmed")
    assert event.body["finding_id"] == finding["finding_id"]
    assert event.body["resolved_by"] == "auditor-420117-01"
    assert again.status_code == 409
    assert after == response.json()
    resolved = await get(auditor, "/findings", status="resolved",
                         person_key=finding["person_key"])
    assert [f["finding_id"] for f in resolved] == [finding["finding_id"]]


async def test_an_auditor_lifts_a_hold_with_a_reason_once(
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    _, hold = await a_false_claim(siquan_env, auditor)
    path = f"/holds/{hold['hold_id']}/lift"

    without_reason = await auditor.post(path, json={"reason": ""})
    async with tap(siquan_env, "oversight") as seen:
        lifted = await auditor.post(path, json={"reason": "death report was wrong"})
        (event,) = await seen.wait_for("hold.lifted.v1")
    again = await auditor.post(path, json={"reason": "twice"})

    assert without_reason.status_code == 422
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["lift_reason"] == "death report was wrong"
    assert (event.body["hold_id"], event.body["lifted_by"]) == (hold["hold_id"],
                                                                 "auditor-420117-01")
    assert again.status_code == 409
    assert (await get(auditor, "/holds", person_key=hold["person_key"]))[0] == lifted.json()


async def test_only_auditors_see_findings_and_unknown_ones_are_not_found(
        oversight_vars: dict[str, str], auditor: httpx.AsyncClient) -> None:
    clerk = {"Authorization": "Bearer dev-clerk-420117-01"}
    async with httpx.AsyncClient(base_url=str(auditor.base_url), headers=clerk) as client:
        assert (await client.get("/findings")).status_code == 403
    missing = await auditor.post(f"/findings/{uuid.uuid4()}/resolve",
                                 json={"outcome": "dismissed", "resolution": "x"})
    assert missing.status_code == 404


async def _complaint(dsn: str, category: str, filed: datetime, *, resolved_after: int | None,
                     due_days: int = 15) -> None:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    tracking = "TS-2026-" + "".join(secrets.choice(alphabet) for _ in range(16))
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "INSERT INTO complaints (complaint_id, tracking_number, category, channel,"
            " anonymous, division_code, description, status, filed_at, due_at, resolved_at,"
            " outcome, resolution, resolved_by, filed_message_id)"
            " VALUES ($1, $2, $3, 'hotline', true, '420117', 'short payment', $4, $5, $6, $7,"
            " $8, $9, $10, $11)",
            uuid.uuid4(), tracking, category,
            "open" if resolved_after is None else "resolved", filed,
            filed + timedelta(days=due_days),
            None if resolved_after is None else filed + timedelta(days=resolved_after),
            None if resolved_after is None else "upheld",
            None if resolved_after is None else "paid the difference",
            None if resolved_after is None else "auditor-420117-01", uuid.uuid4())
    finally:
        await conn.close()


async def test_the_accountability_report_shows_what_was_owed_paid_and_found(
        siquan_env: Environment, logged: Logged, auditor: httpx.AsyncClient) -> None:
    program, period = "reward_assistance_rural", "2026"
    owed = 120_000
    paid_ok, short, unpaid = (granted(secrets.token_hex(32), program=program,
                                      category="standard") for _ in range(3))
    run = run_of(program, period)
    await published(siquan_env, [
        paid_ok, short, unpaid,
        disbursement.PaymentRunStarted(payee_count=2, total_fen=2 * owed, skipped=(
            disbursement.SkippedPayee(person_key=unpaid.person_key,
                                      certification_id=unpaid.certification_id,
                                      reason="payments to this person are on hold"),),
            started_by=DISBURSER, **run),
        fund_custody.AllocationApproved(allocation_id=str(uuid.uuid4()), amount_fen=2 * owed,
                                        available_fen=0, **run),
        disbursement.PaymentsSettled(chunk=0, payments=(
            payment(paid_ok, owed), payment(short, owed - 1)), **run)], logged)
    dsn = siquan_env.pg_dsn("oversight")
    filed = datetime(2026, 3, 1, tzinfo=UTC)
    await _complaint(dsn, "not_paid_in_full", filed, resolved_after=3)
    await _complaint(dsn, "not_paid_in_full", filed, resolved_after=30)
    await _complaint(dsn, "officer_misconduct", filed, resolved_after=None)

    async def found() -> dict[str, Any] | None:
        report: dict[str, Any] = await get(
            auditor, f"/reports/{program}/{period}/accountability")
        mismatches = report["no_omission_no_false_claim"]["amount_mismatches"]
        return report if mismatches["count"] == 1 else None

    report = await eventually(found, what="the mismatch in the report")
    page = await auditor.get(f"/reports/{program}/{period}/accountability.html")

    assert report["figures"] | {"holds_active": 0} == {
        "certified": 3, "funded_fen": 2 * owed, "paid_count": 2, "paid_fen": 2 * owed - 1,
        "failed_count": 0, "failed_fen": 0, "returned_count": 0, "returned_fen": 0,
        "skipped": 1, "held": 1, "holds_active": 0, "settled_fen": 0}
    balance = report["no_omission_no_false_claim"]
    assert (balance["certified"], balance["unpaid"], balance["omission_rate"]) == (
        3, 1, round(1 / 3, 4))
    assert balance["amount_mismatches"] == {"count": 1, "amount_fen": 1}
    assert report["findings"]["by_category"]["wrong_payment"]["open"] >= 1
    complaints = report["complaints"]
    assert complaints["available"] is True
    assert {c["category"]: (c["filed"], c["resolved_on_time"], c["overdue"])
            for c in complaints["by_category"]} == {"not_paid_in_full": (2, 1, 0),
                                                    "officer_misconduct": (1, 0, 1)}
    assert complaints["sla_compliance"] == round(1 / 3, 4)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "2,399.99" in page.text and "amount_differs_from_policy" in page.text
