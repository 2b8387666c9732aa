"""Oversight accuses nobody because of its own failure, against oversight running as a
process on the real broker and database: a certification its handler failed on is
dead-lettered, a payment resting on it waits as incomplete evidence (no finding, no hold)
while the dead letter is an operational alert (API and metric); once the letter is
replayed the evidence completes and the payment is cleared, while a payment truly without
certification is then found and held. A payment judged on arrival against a suspension
whose reinstatement was dead-lettered holds nobody either. Account-change flags are
counted on the events' business time, not on when the messages were sent."""

from __future__ import annotations

import re
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
from siquan.contracts.base import Event
from siquan.shared.dead_letters import Journal, Selection, replay_dead_letters
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.oversight_faults import fail_certifications_of
from siquan.shared.testing.processes import free_port
from siquan.shared.testing.waiting import eventually

PROGRAM, DIVISION, OWED = "special_assistance", "420117", 21_000
APPROVER, REVIEWER, DISBURSER = "approver-420117-01", "reviewer-420117-01", "disburser-420117-01"
CHECKER = "disburser-420117-02"

Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]


@pytest.fixture(scope="module")
def oversight_vars(siquan_env: Environment) -> dict[str, str]:
    return {**siquan_env.service_env("oversight", port=free_port()),
            "SIQUAN_CHECKPOINT_SECONDS": "3600", "SIQUAN_RECONCILIATION_GRACE_SECONDS": "1",
            "SIQUAN_RECONCILIATION_SWEEP_SECONDS": "0.2"}


def granted(person_key: str) -> eligibility.CertificationGranted:
    return eligibility.CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category="death", policy_version="wuhan-2012",
        person_key=person_key, masked_name="王*", masked_resident_id="4201**********0011",
        division_code=DIVISION, effective_from=date(2026, 1, 1), reviewed_by=REVIEWER,
        approved_by=APPROVER, approved_at=datetime(2026, 1, 5, tzinfo=UTC))


def a_run(period: str, started_at: datetime | None = None) -> disbursement.PaymentRunStarted:
    return disbursement.PaymentRunStarted(
        run_id=str(uuid.uuid4()), program_code=PROGRAM, period=period, division_code=DIVISION,
        payee_count=1, total_fen=OWED, skipped=(), started_by=DISBURSER,
        started_at=started_at)


def paid(person_key: str, certification_id: str, item: str = "benefit",
         period: str | None = None) -> disbursement.SettledPayment:
    return disbursement.SettledPayment(
        payment_id=str(uuid.uuid4()), person_key=person_key,
        certification_id=certification_id, item=item, amount_fen=OWED,
        bank_reference=f"B{secrets.token_hex(4)}", period=period)


def chunk(run: disbursement.PaymentRunStarted, *payments: disbursement.SettledPayment
          ) -> disbursement.PaymentsSettled:
    return disbursement.PaymentsSettled(chunk=0, payments=payments, run_id=run.run_id,
                                        program_code=run.program_code, period=run.period,
                                        division_code=run.division_code)


async def get(auditor: httpx.AsyncClient, path: str, **params: Any) -> Any:
    response = await auditor.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def sweeps(auditor: httpx.AsyncClient) -> int:
    return int((await get(auditor, "/reconciliation/status"))["sweeps"])


async def swept_again(auditor: httpx.AsyncClient, times: int) -> None:
    """Wait until `times` more sweeps finished (each asks the broker for the backlog)."""
    target = await sweeps(auditor) + times

    async def done() -> bool:
        return await sweeps(auditor) >= target

    await eventually(done, timeout=30, what=f"{times} more sweeps")


def gauge_value(metrics: str, name: str) -> float | None:
    match = re.search(rf'^{name}\{{[^}}]*service="oversight"[^}}]*\}} (\S+)$', metrics,
                      re.MULTILINE)
    return float(match.group(1)) if match else None


async def test_a_payment_resting_on_a_dead_lettered_certification_waits_and_is_cleared_by_the_replay(  # noqa: E501
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    innocent, uncertified = secrets.token_hex(32), secrets.token_hex(32)
    cert = granted(innocent)
    await fail_certifications_of(siquan_env, innocent, on=True)
    grant_id = await publish_as(siquan_env, cert)

    async def alert() -> dict[str, Any] | None:
        found: dict[str, Any] = await get(auditor, "/operations/dead-letters")
        return found if found["dead_letters_waiting"] else None

    raised_alert = await eventually(alert, timeout=30, what="the dead letter counted")
    run = a_run("2026-11")
    await publish_as(siquan_env, run)
    await publish_as(siquan_env, chunk(run, paid(innocent, cert.certification_id),
                                       paid(uncertified, str(uuid.uuid4()))))

    async def waiting() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await get(auditor, "/reconciliation/incomplete-evidence")
        return rows if {r["person_key"] for r in rows} >= {innocent, uncertified} else []

    rows = {r["person_key"]: r for r in await eventually(waiting, timeout=30,
                                                         what="both payments waiting")}
    await swept_again(auditor, 5)
    metrics = (await auditor.get("/metrics")).text

    assert raised_alert["alert"] is True and raised_alert["dead_letters_waiting"] == 1
    assert gauge_value(metrics, "siquan_dead_letters_waiting") == 1.0
    for person in (innocent, uncertified):
        assert rows[person]["rule"] == "paid_without_certification"
        assert rows[person]["status"] == "incomplete_evidence"
        assert any("dead letter" in w for w in rows[person]["waiting_for"])
        assert await get(auditor, "/findings", person_key=person) == []
        assert await get(auditor, "/holds", person_key=person) == []

    await fail_certifications_of(siquan_env, innocent, on=False)
    journal = Journal(siquan_env.pg_dsn("oversight"), "operator-420117-01",
                      "the certification table refused a person; fixed")
    replayed = await replay_dead_letters(siquan_env.amqp_url("oversight"), "oversight",
                                         selection=Selection(message_id=grant_id),
                                         journal=journal)

    async def settled() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await get(auditor, "/reconciliation/incomplete-evidence",
                                               status="withdrawn", person_key=innocent)
        return rows

    (withdrawn,) = await eventually(settled, timeout=30, what="the innocent payee cleared")

    async def found_uncertified() -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await get(auditor, "/findings", person_key=uncertified)
        return found

    (finding,) = await eventually(found_uncertified, timeout=30, what="the real finding")
    await swept_again(auditor, 3)
    (hold,) = await get(auditor, "/holds", person_key=uncertified)
    after = await get(auditor, "/operations/dead-letters")
    (became,) = await get(auditor, "/reconciliation/incomplete-evidence", status="raised",
                          person_key=uncertified)

    assert replayed == 1
    assert withdrawn["rule"] == "paid_without_certification"
    assert await get(auditor, "/findings", person_key=innocent) == []
    assert await get(auditor, "/holds", person_key=innocent) == []
    assert finding["rule"] == "paid_without_certification"
    assert hold["finding_id"] == finding["finding_id"] and hold["lifted_at"] is None
    assert became["rule"] == "paid_without_certification" and became["settled_at"]
    assert after["dead_letters_waiting"] == 0 and after["alert"] is False
    assert gauge_value((await auditor.get("/metrics")).text,
                       "siquan_dead_letters_waiting") == 0.0
    assert await get(auditor, "/reconciliation/incomplete-evidence") == []


async def test_a_payment_without_certification_and_nothing_pending_is_found_and_held(
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    person = secrets.token_hex(32)
    run = a_run("2026-12")
    await publish_as(siquan_env, run)
    await publish_as(siquan_env, chunk(run, paid(person, str(uuid.uuid4()))))

    async def found() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await get(auditor, "/findings", person_key=person)
        return rows

    (finding,) = await eventually(found, timeout=30, what="paid without certification")
    (hold,) = await get(auditor, "/holds", person_key=person)

    assert finding["rule"] == "paid_without_certification"
    assert hold["finding_id"] == finding["finding_id"]
    assert await get(auditor, "/reconciliation/incomplete-evidence", person_key=person) == []


def account(person_key: str, registered_at: datetime, *, awaiting: bool = False
            ) -> disbursement.PayeeAccountRegistered:
    return disbursement.PayeeAccountRegistered(
        person_key=person_key, bank_code="ABC", masked_account="************9876",
        registered_by=DISBURSER, registered_at=registered_at, replaces_previous=True,
        previous_registered_at=registered_at - timedelta(days=400), division_code=DIVISION,
        awaiting_confirmation=awaiting)


def confirmed(change: disbursement.PayeeAccountRegistered, at: datetime
              ) -> disbursement.PayeeAccountConfirmed:
    return disbursement.PayeeAccountConfirmed(
        person_key=change.person_key, bank_code="ABC", masked_account="************9876",
        registered_by=change.registered_by, registered_at=change.registered_at,
        confirmed_by=CHECKER, confirmed_at=at, division_code=DIVISION)


async def test_account_changes_are_flagged_within_the_window_before_the_runs_business_start(
        siquan_env: Environment, auditor: httpx.AsyncClient, logged: Logged) -> None:
    # the run states that it froze its roster months before its messages are sent: a window
    # measured from when they were sent would flag none of these (the periods of this
    # module's runs are all before their omission deadline, so no omission is found)
    start = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    keys = {name: secrets.token_hex(32) for name in (
        "days_before", "long_before", "after_start", "confirmed_after_start",
        "confirmed_before_start", "paid_twice_in_the_run")}
    certs = {name: granted(key) for name, key in keys.items()}
    late_check = account(keys["confirmed_after_start"], start - timedelta(days=3),
                         awaiting=True)
    early_check = account(keys["confirmed_before_start"], start - timedelta(days=3),
                          awaiting=True)
    run = a_run("2026-11", started_at=start)
    twice = certs["paid_twice_in_the_run"]
    events: list[Event] = [
        *certs.values(),
        account(keys["days_before"], start - timedelta(days=5)),
        account(keys["long_before"], start - timedelta(days=40)),
        account(keys["after_start"], start + timedelta(days=2)),
        late_check, confirmed(late_check, start + timedelta(days=1)),
        early_check, confirmed(early_check, start - timedelta(days=1)),
        account(twice.person_key, start - timedelta(days=2)),
        run,
        chunk(run, *(paid(c.person_key, c.certification_id) for c in certs.values()),
              paid(twice.person_key, twice.certification_id, item="arrears:2026-02",
                   period="2026-02"))]
    correlation = f"business-time-{uuid.uuid4()}"
    for event in events:
        await publish_as(siquan_env, event, correlation_id=correlation)
    await logged(correlation, len(events))

    flags = await get(auditor, "/flags", kind="account_changed_before_run", limit=500)
    flagged = sorted(name for name, key in keys.items()
                     for f in flags if f["person_key"] == key)

    assert flagged == ["confirmed_before_start", "days_before", "paid_twice_in_the_run"]
    assert all(f["run_id"] == run.run_id for f in flags)


async def fail_changes_of(env: Environment, certification_id: str, *, on: bool) -> None:
    """Make oversight's handler of a certification's next change fail (dead-lettered)."""
    conn = await asyncpg.connect(env.pg_dsn("oversight"))
    try:
        if on:
            await conn.execute(
                "ALTER TABLE watched_changes ADD CONSTRAINT test_refuses_change"
                f" CHECK (certification_id <> '{certification_id}') NOT VALID")
        else:
            await conn.execute("ALTER TABLE watched_changes DROP CONSTRAINT test_refuses_change")
    finally:
        await conn.close()


async def test_a_payment_after_a_dead_lettered_reinstatement_holds_nobody_and_is_cleared(
        siquan_env: Environment, auditor: httpx.AsyncClient, logged: Logged) -> None:
    cert = granted(secrets.token_hex(32))
    change = {"certification_id": cert.certification_id, "program_code": PROGRAM,
              "person_key": cert.person_key, "division_code": DIVISION,
              "decided_by": APPROVER}
    correlation = f"suspended-{uuid.uuid4()}"
    for event in (cert, eligibility.CertificationSuspended(
            effective_from=date(2026, 9, 1), reason="under review", **change)):
        await publish_as(siquan_env, event, correlation_id=correlation)
    await logged(correlation, 2)
    await fail_changes_of(siquan_env, cert.certification_id, on=True)
    reinstated = await publish_as(siquan_env, eligibility.CertificationReinstated(
        effective_from=date(2026, 10, 1), reason="review cleared", **change))

    async def alert() -> dict[str, Any] | None:
        found: dict[str, Any] = await get(auditor, "/operations/dead-letters")
        return found if found["dead_letters_waiting"] else None

    await eventually(alert, timeout=30, what="the reinstatement dead-lettered")
    await swept_again(auditor, 2)  # the rules consult the backlog the last sweep counted
    run = a_run("2026-11")
    await publish_as(siquan_env, run)
    await publish_as(siquan_env, chunk(run, paid(cert.person_key, cert.certification_id)))

    async def waiting() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await get(
            auditor, "/reconciliation/incomplete-evidence", person_key=cert.person_key)
        return rows

    (row,) = await eventually(waiting, timeout=30, what="the payment waiting")
    await swept_again(auditor, 3)

    assert row["rule"] == "paid_while_suspended"
    assert await get(auditor, "/findings", person_key=cert.person_key) == []
    assert await get(auditor, "/holds", person_key=cert.person_key) == []

    await fail_changes_of(siquan_env, cert.certification_id, on=False)
    journal = Journal(siquan_env.pg_dsn("oversight"), "operator-420117-01",
                      "the change table refused a certification; fixed")
    assert await replay_dead_letters(siquan_env.amqp_url("oversight"), "oversight",
                                     selection=Selection(message_id=reinstated),
                                     journal=journal) == 1

    async def withdrawn() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = await get(
            auditor, "/reconciliation/incomplete-evidence", status="withdrawn",
            person_key=cert.person_key)
        return rows

    await eventually(withdrawn, timeout=30, what="the payment cleared")
    await swept_again(auditor, 3)

    assert await get(auditor, "/findings", person_key=cert.person_key) == []
    assert await get(auditor, "/holds", person_key=cert.person_key) == []
