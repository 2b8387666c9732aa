"""The reconciliation rules as events arrive, against oversight running as a process on the
real broker and database: each breach raises a finding with its category, evidence and
officer (and a hold for a suspected false claim); a clean run raises nothing."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts import fund_custody_v1 as fund_custody
from siquan.contracts.base import Event
from siquan.contracts.policy import load_catalogue
from siquan.contracts.public_security_v1 import DeathReported
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.processes import free_port
from siquan.shared.testing.waiting import eventually

PERIOD, OWED = "2026-11", 21_000
APPROVER, REVIEWER, DISBURSER = "approver-420117-01", "reviewer-420117-01", "disburser-420117-01"
NOW = datetime(2026, 11, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def oversight_vars(siquan_env: Environment) -> dict[str, str]:
    return {**siquan_env.service_env("oversight", port=free_port()),
            "SIQUAN_CHECKPOINT_SECONDS": "3600", "SIQUAN_RECONCILIATION_GRACE_SECONDS": "1",
            "SIQUAN_RECONCILIATION_SWEEP_SECONDS": "0.2"}


def person() -> str:
    return secrets.token_hex(32)


def granted(person_key: str, *, reviewed_by: str = REVIEWER, approved_by: str = APPROVER,
            application_id: str | None = None) -> eligibility.CertificationGranted:
    return eligibility.CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=application_id or str(uuid.uuid4()),
        program_code="special_assistance", category="death", policy_version="wuhan-2012",
        person_key=person_key, masked_name="王*", masked_resident_id="4201**********0011",
        division_code="420117", effective_from=date(2026, 1, 1), reviewed_by=reviewed_by,
        approved_by=approved_by, approved_at=NOW)


def a_run(started_by: str = DISBURSER) -> dict[str, str]:
    return {"run_id": str(uuid.uuid4()), "program_code": "special_assistance",
            "period": PERIOD, "division_code": "420117", "started_by": started_by}


def started(run: dict[str, str], payees: int = 1) -> list[Event]:
    common = {k: v for k, v in run.items() if k != "started_by"}
    return [disbursement.PaymentRunStarted(payee_count=payees, total_fen=OWED * payees,
                                           skipped=(), **run),
            disbursement.AllocationRequested(fiscal_year=2026, payee_count=payees,
                                             total_fen=OWED * payees, **common)]


def paid(cert: eligibility.CertificationGranted, amount: int = OWED,
         payment_id: str | None = None) -> disbursement.SettledPayment:
    return disbursement.SettledPayment(
        payment_id=payment_id or str(uuid.uuid4()), person_key=cert.person_key,
        certification_id=cert.certification_id, item="benefit", amount_fen=amount,
        bank_reference=f"B{secrets.token_hex(4)}")


def chunk(run: dict[str, str], *payments: disbursement.SettledPayment, number: int = 0
          ) -> disbursement.PaymentsSettled:
    common = {k: v for k, v in run.items() if k != "started_by"}
    return disbursement.PaymentsSettled(chunk=number, payments=payments, **common)


Findings = Callable[..., Awaitable[list[dict[str, Any]]]]


@pytest.fixture(scope="module")
def findings(auditor: httpx.AsyncClient) -> Findings:
    async def found(**params: str) -> list[dict[str, Any]]:
        response = await auditor.get("/findings", params=params)
        response.raise_for_status()
        result: list[dict[str, Any]] = response.json()
        return result

    return found


@pytest.fixture(scope="module")
def raised(findings: Findings) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """Wait until findings matching the filters exist; return them."""
    async def wait(count: int = 1, **params: str) -> list[dict[str, Any]]:
        async def enough() -> list[dict[str, Any]]:
            found = await findings(**params)
            return found if len(found) >= count else []

        return await eventually(enough, timeout=30, what=f"findings {params}")

    return wait


@pytest.fixture(scope="module")
def quiet(auditor: httpx.AsyncClient) -> Callable[[], Awaitable[None]]:
    """Wait until nothing waits for a late fact and one more sweep finished after that."""
    async def status() -> dict[str, Any]:
        response = await auditor.get("/reconciliation/status")
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found

    async def wait() -> None:
        async def drained() -> dict[str, Any] | None:
            now = await status()
            idle = (now["payments_awaiting_certification"], now["movements_awaiting_run"])
            return now if idle == (0, 0) else None

        seen = await eventually(drained, timeout=30, what="nothing pending")

        async def swept_again() -> bool:
            return bool((await status())["sweeps"] >= seen["sweeps"] + 2)

        await eventually(swept_again, timeout=30, what="two more sweeps")

    return wait


async def publish_all(env: Environment, events: list[Event]) -> list[str]:
    return [await publish_as(env, event) for event in events]


Logged = Callable[[str, int], Awaitable[list[dict[str, Any]]]]


async def logged_all(env: Environment, events: list[Event], logged: Logged) -> list[str]:
    correlation = f"rules-{uuid.uuid4()}"
    ids = [await publish_as(env, event, correlation_id=correlation) for event in events]
    await logged(correlation, len(events))
    return ids


async def test_a_clean_run_raises_nothing(siquan_env: Environment, logged: Logged,
                                          findings: Findings, quiet: Callable[[], Awaitable[None]],
                                          auditor: httpx.AsyncClient) -> None:
    certs = [granted(person()), granted(person())]
    run = a_run()
    common = {k: v for k, v in run.items() if k != "started_by"}
    events: list[Event] = [
        *certs, *started(run, payees=2),
        fund_custody.AllocationApproved(allocation_id=str(uuid.uuid4()), amount_fen=2 * OWED,
                                        available_fen=0, **common),
        chunk(run, *(paid(c) for c in certs)),
        disbursement.PaymentRunCompleted(payee_count=2, total_fen=2 * OWED, settled_count=2,
                                         settled_fen=2 * OWED, failed_count=0, failed_fen=0,
                                         **common),
        fund_custody.SettlementCompleted(reserved_fen=2 * OWED, paid_fen=2 * OWED,
                                         released_fen=0, available_fen=0, **common)]

    await logged_all(siquan_env, events, logged)
    await quiet()

    assert await findings(run_id=run["run_id"]) == []
    for cert in certs:
        assert await findings(person_key=cert.person_key) == []
    flags = (await auditor.get("/flags", params={"person_key": certs[0].person_key})).json()
    assert flags == []


async def test_a_payment_after_a_reported_death_is_found_and_the_payee_held(
        siquan_env: Environment, raised: Any, auditor: httpx.AsyncClient) -> None:
    cert, run = granted(person()), a_run()
    death = DeathReported(report_id=f"PS-{uuid.uuid4()}", person_key=cert.person_key,
                          date_of_death=date(2026, 10, 15))
    async with tap(siquan_env, "oversight") as seen:
        ids = await publish_all(siquan_env, [cert, death, *started(run), chunk(run, paid(cert))])
        (finding,) = await raised(person_key=cert.person_key)
        holds = await seen.wait_for("hold.placed.v1")

    assert (finding["category"], finding["rule"]) == ("wrong_payment", "paid_after_death")
    assert finding["evidence"] == [ids[4], ids[1]]
    assert (finding["officer_id"], finding["run_id"]) == (DISBURSER, run["run_id"])
    assert finding["amount_fen"] == OWED
    assert any(h.body["person_key"] == cert.person_key and h.body["program_code"] is None
               for h in holds)
    (hold,) = (await auditor.get("/holds", params={"person_key": cert.person_key})).json()
    assert hold["finding_id"] == finding["finding_id"] and hold["lifted_at"] is None


async def test_a_death_reported_after_the_payment_finds_the_payment(
        siquan_env: Environment, raised: Any) -> None:
    cert, run = granted(person()), a_run()
    ids = await publish_all(siquan_env, [cert, *started(run), chunk(run, paid(cert))])
    death_id = await publish_as(siquan_env, DeathReported(
        report_id="PS-late", person_key=cert.person_key, date_of_death=date(2026, 9, 3)))

    (finding,) = await raised(person_key=cert.person_key)

    assert finding["rule"] == "paid_after_death"
    assert finding["evidence"] == [ids[3], death_id]


async def test_a_second_payment_id_for_the_same_period_is_paid_twice_a_redelivery_is_not(
        siquan_env: Environment, logged: Logged, raised: Any, findings: Findings,
        quiet: Callable[[], Awaitable[None]]) -> None:
    cert, run = granted(person()), a_run()
    first = chunk(run, paid(cert))
    ids = await logged_all(siquan_env, [cert, *started(run), first, first], logged)
    await quiet()
    assert await findings(person_key=cert.person_key) == []

    second = await publish_as(siquan_env, chunk(run, paid(cert), number=1))

    (finding,) = await raised(person_key=cert.person_key)
    assert (finding["category"], finding["rule"]) == ("wrong_payment", "paid_twice")
    assert finding["evidence"] == [second, ids[3]]


async def test_a_transfer_answered_again_for_a_run_started_over_is_not_paid_twice(
        siquan_env: Environment, logged: Logged, raised: Any, findings: Findings,
        quiet: Callable[[], Awaitable[None]]) -> None:
    cert, lost_run, run = granted(person()), a_run(), a_run()
    lost = paid(cert)
    # the run lost in a restore of disbursement, started again: the bank answered the new
    # payment id with the transfer it had made for the lost run
    answered = paid(cert).model_copy(update={"transferred_as": lost.payment_id})
    await logged_all(siquan_env, [cert, *started(lost_run), chunk(lost_run, lost),
                                  *started(run), chunk(run, answered)], logged)
    await quiet()
    assert await findings(person_key=cert.person_key) == []

    second = await publish_as(siquan_env, chunk(run, paid(cert), number=1))

    (finding,) = await raised(person_key=cert.person_key)
    assert (finding["rule"], finding["evidence"][0]) == ("paid_twice", second)


async def test_an_amount_one_fen_off_the_policy_is_a_wrong_payment(
        siquan_env: Environment, raised: Any) -> None:
    cert, run = granted(person()), a_run()
    ids = await publish_all(siquan_env, [cert, *started(run), chunk(run, paid(cert, OWED - 1))])

    (finding,) = await raised(person_key=cert.person_key)

    assert (finding["rule"], finding["amount_fen"]) == ("amount_differs_from_policy", 1)
    assert finding["evidence"] == [ids[3], ids[0]]


async def test_a_certification_that_never_comes_is_found_one_that_comes_late_is_not(
        siquan_env: Environment, raised: Any, findings: Findings,
        quiet: Callable[[], Awaitable[None]]) -> None:
    never, late, run = granted(person()), granted(person()), a_run()
    ids = await publish_all(siquan_env, [*started(run), chunk(run, paid(never), paid(late))])
    await publish_as(siquan_env, late)

    (finding,) = await raised(person_key=never.person_key)
    await quiet()

    assert (finding["rule"], finding["evidence"]) == ("paid_without_certification", [ids[2]])
    assert await findings(person_key=late.person_key) == []


async def test_a_payment_on_a_certification_revoked_before_the_period_is_found(
        siquan_env: Environment, raised: Any) -> None:
    cert, run = granted(person()), a_run()
    revoked = eligibility.CertificationRevoked(
        certification_id=cert.certification_id, program_code=cert.program_code,
        person_key=cert.person_key, division_code="420117", effective_from=date(2026, 10, 1),
        reason="loss of status", revoked_by=APPROVER)
    ids = await publish_all(siquan_env, [cert, revoked, *started(run), chunk(run, paid(cert))])

    (finding,) = await raised(person_key=cert.person_key)

    assert finding["rule"] == "paid_after_revocation"
    assert finding["evidence"] == [ids[4], ids[0], ids[1]]


async def test_a_settlement_that_does_not_add_up_is_a_breach_of_discipline(
        siquan_env: Environment, raised: Any) -> None:
    run = a_run()
    common = {k: v for k, v in run.items() if k != "started_by"}
    settlement = fund_custody.SettlementCompleted(reserved_fen=OWED, paid_fen=OWED - 100,
                                                  released_fen=0, available_fen=0, **common)
    ids = await publish_all(siquan_env, [
        *started(run), fund_custody.AllocationApproved(
            allocation_id=str(uuid.uuid4()), amount_fen=OWED, available_fen=0, **common),
        settlement])

    (finding,) = await raised(run_id=run["run_id"])

    assert (finding["category"], finding["rule"]) == ("breach_of_discipline",
                                                      "settlement_unbalanced")
    assert (finding["evidence"], finding["amount_fen"]) == ([ids[3]], 100)


async def test_money_reserved_for_a_run_nobody_started_is_found_after_the_grace_period(
        siquan_env: Environment, raised: Any, findings: Findings,
        quiet: Callable[[], Awaitable[None]]) -> None:
    ghost, late = a_run(), a_run()

    def approved(run: dict[str, str]) -> fund_custody.AllocationApproved:
        common = {k: v for k, v in run.items() if k != "started_by"}
        return fund_custody.AllocationApproved(allocation_id=str(uuid.uuid4()), amount_fen=500,
                                               available_fen=0, **common)

    ghost_id = await publish_as(siquan_env, approved(ghost))
    await publish_all(siquan_env, [approved(late), *started(late)])

    (finding,) = await raised(run_id=ghost["run_id"])
    await quiet()

    assert (finding["category"], finding["rule"]) == ("breach_of_discipline",
                                                      "money_moved_without_run")
    assert (finding["evidence"], finding["amount_fen"]) == ([ghost_id], 500)
    assert await findings(run_id=late["run_id"]) == []


async def test_an_approval_by_the_reviewer_is_traced_to_the_officer(
        siquan_env: Environment, raised: Any) -> None:
    cert = granted(person(), reviewed_by="dual-420117-01", approved_by="dual-420117-01")
    async with tap(siquan_env, "oversight") as seen:
        grant_id = await publish_as(siquan_env, cert)
        (finding,) = await raised(person_key=cert.person_key)
        published = await seen.wait_for("finding.raised.v1")

    assert (finding["category"], finding["rule"]) == ("breach_of_discipline",
                                                      "reviewer_approved_own_review")
    assert (finding["officer_id"], finding["decision"]) == ("dual-420117-01", "suspend")
    assert finding["certification_id"] == cert.certification_id
    assert finding["application_id"] == cert.application_id
    assert finding["evidence"] == [grant_id]
    (event,) = [e for e in published if e.body["finding_id"] == finding["finding_id"]]
    assert event.body["evidence"] == [grant_id] and event.body["category"] == finding["category"]


async def test_an_approval_after_the_approver_reviewed_at_the_township_is_found(
        siquan_env: Environment, raised: Any) -> None:
    cert = granted(person())
    review = eligibility.ApplicationReviewed(
        application_id=cert.application_id, program_code=cert.program_code,
        person_key=cert.person_key, division_code="420117", outcome="approved",
        reviewed_by=APPROVER, reviewed_at=NOW)
    ids = await publish_all(siquan_env, [review, cert])

    (finding,) = await raised(person_key=cert.person_key)

    assert finding["rule"] == "reviewer_approved_own_review"
    assert finding["evidence"] == ids


async def test_the_approver_who_registers_the_account_and_starts_the_run_acts_in_two_powers(
        siquan_env: Environment, raised: Any) -> None:
    cert, run = granted(person()), a_run(started_by=APPROVER)
    account = disbursement.PayeeAccountRegistered(
        person_key=cert.person_key, bank_code="ABC", masked_account="************1234",
        registered_by=APPROVER, registered_at=NOW, replaces_previous=False)
    ids = await publish_all(siquan_env, [cert, account, *started(run), chunk(run, paid(cert))])

    found = await raised(count=2, person_key=cert.person_key)

    assert {f["rule"] for f in found} == {"officer_in_two_powers"}
    assert {f["officer_id"] for f in found} == {APPROVER}
    assert sorted(f["evidence"] for f in found) == sorted([[ids[0], ids[1]],
                                                           [ids[0], ids[2], ids[4]]])


async def test_maker_and_checker_of_an_account_change_are_on_the_record_and_a_deciding_checker_is_found(  # noqa: E501
        siquan_env: Environment, raised: Any, logged: Logged,
        auditor: httpx.AsyncClient) -> None:
    cert = granted(person())
    change = disbursement.PayeeAccountRegistered(
        person_key=cert.person_key, bank_code="ABC", masked_account="************1234",
        registered_by=DISBURSER, registered_at=NOW, replaces_previous=True,
        division_code="420117", awaiting_confirmation=True)
    confirmed = disbursement.PayeeAccountConfirmed(
        person_key=cert.person_key, bank_code="ABC", masked_account="************1234",
        registered_by=DISBURSER, registered_at=NOW, confirmed_by=APPROVER, confirmed_at=NOW,
        division_code="420117")
    ids = await logged_all(siquan_env, [cert, change, confirmed], logged)

    (finding,) = await raised(person_key=cert.person_key)
    response = await auditor.get(f"/audit/persons/{cert.person_key}",
                                 params={"purpose": "an account change under review"})
    response.raise_for_status()
    [entry] = [e for e in response.json()["entries"]
               if e["message_type"] == "payee_account.confirmed.v1"]

    assert (entry["body"]["registered_by"], entry["body"]["confirmed_by"]) == (
        DISBURSER, APPROVER)
    assert (finding["rule"], finding["officer_id"]) == ("officer_in_two_powers", APPROVER)
    assert finding["evidence"] == [ids[0], ids[2]]


async def test_an_account_replaced_just_before_a_run_pays_it_is_flagged_not_found(
        siquan_env: Environment, auditor: httpx.AsyncClient, findings: Findings,
        quiet: Callable[[], Awaitable[None]]) -> None:
    cert, run = granted(person()), a_run()
    replaced = disbursement.PayeeAccountRegistered(
        person_key=cert.person_key, bank_code="ABC", masked_account="************9876",
        registered_by=DISBURSER, registered_at=datetime.now(UTC), replaces_previous=True)
    ids = await publish_all(siquan_env, [cert, replaced, *started(run), chunk(run, paid(cert))])

    async def flagged() -> list[dict[str, Any]]:
        response = await auditor.get("/flags", params={"person_key": cert.person_key})
        return list(response.json())

    (flag,) = await eventually(flagged, what="the account change flagged")
    await quiet()

    assert flag["kind"] == "account_changed_before_run"
    assert flag["evidence"] == [ids[1], ids[4]] and flag["run_id"] == run["run_id"]
    assert await findings(person_key=cert.person_key) == []


async def test_a_payment_the_bank_returned_may_be_paid_again_and_arrears_at_the_policy_too(
        siquan_env: Environment, logged: Logged, findings: Findings,
        quiet: Callable[[], Awaitable[None]]) -> None:
    cert, run, retry = granted(person()), a_run(), a_run()
    first = paid(cert)
    common = {k: v for k, v in run.items() if k != "started_by"}
    arrear = disbursement.SettledPayment(
        payment_id=str(uuid.uuid4()), person_key=cert.person_key,
        certification_id=cert.certification_id, item="arrears:2026-10", amount_fen=OWED,
        bank_reference="B-arrear", period="2026-10")
    await logged_all(siquan_env, [
        cert, *started(run), chunk(run, first),
        disbursement.PaymentsReturned(chunk=0, payments=(disbursement.ReturnedPayment(
            payment_id=first.payment_id, person_key=cert.person_key, amount_fen=OWED,
            reason="account closed", returned_on=date(2026, 11, 20)),), **common),
        *started(retry), chunk(retry, paid(cert), arrear)], logged)
    await quiet()

    assert await findings(person_key=cert.person_key) == []


async def test_a_retry_judged_before_its_return_arrived_is_dismissed_a_second_payment_is_not(
        siquan_env: Environment, logged: Logged, raised: Any, findings: Findings) -> None:
    """The return reaches oversight after the retry it allowed (another instance's batch,
    or a queue behind): told by disbursement before the retry was made, it dismisses the
    retry's finding; told after a second payment, it leaves that one paid twice."""
    retried, doubled = granted(person()), granted(person())
    run, again = a_run(), a_run()
    common = {k: v for k, v in run.items() if k != "started_by"}
    firsts = {c.person_key: paid(c) for c in (retried, doubled)}
    await logged_all(siquan_env, [retried, doubled, *started(run, payees=2),
                                  chunk(run, *firsts.values())], logged)

    def returned(cert: eligibility.CertificationGranted) -> disbursement.PaymentsReturned:
        return disbursement.PaymentsReturned(chunk=0, payments=(disbursement.ReturnedPayment(
            payment_id=firsts[cert.person_key].payment_id, person_key=cert.person_key,
            amount_fen=OWED, reason="account closed", returned_on=date(2026, 11, 20)),),
            **common)

    told_before = datetime.now(UTC)  # disbursement recorded the first return then
    await logged_all(siquan_env, [*started(again, payees=2),
                                  chunk(again, paid(retried), paid(doubled))], logged)
    found = {c.person_key: (await raised(person_key=c.person_key))[0]
             for c in (retried, doubled)}
    assert {f["rule"] for f in found.values()} == {"paid_twice"}

    correlation = f"returns-{uuid.uuid4()}"
    await publish_as(siquan_env, returned(retried), correlation_id=correlation,
                     occurred_at=told_before)
    await publish_as(siquan_env, returned(doubled), correlation_id=correlation)
    await logged(correlation, 2)

    [dismissed] = await findings(person_key=retried.person_key)
    assert (dismissed["finding_id"], dismissed["status"], dismissed["outcome"]) == (
        found[retried.person_key]["finding_id"], "resolved", "dismissed")
    assert dismissed["resolved_by"] == "oversight-reconciliation"
    [kept] = await findings(person_key=doubled.person_key)
    assert (kept["rule"], kept["status"]) == ("paid_twice", "open")


def granted_in(program: str, person_key: str, *, household_key: str | None = None,
               period_start: date = date(2026, 1, 1)) -> eligibility.CertificationGranted:
    return granted(person_key).model_copy(update={
        "program_code": program, "category": "standard", "policy_version": "national-2009",
        "household_key": household_key, "effective_from": period_start})


def paid_run(program: str, period: str, *certs: eligibility.CertificationGranted
             ) -> list[Event]:
    """A run of the program paying each certification its period's policy amount."""
    fen = load_catalogue().amount_for(program, "standard", period)
    run = {**a_run(), "program_code": program, "period": period}
    common = {k: v for k, v in run.items() if k != "started_by"}
    return [disbursement.PaymentRunStarted(payee_count=len(certs), total_fen=fen * len(certs),
                                           skipped=(), **run),
            disbursement.AllocationRequested(fiscal_year=int(period[:4]),
                                             payee_count=len(certs),
                                             total_fen=fen * len(certs), **common),
            chunk(run, *(paid(c, fen) for c in certs))]


async def test_a_person_paid_in_exclusive_programs_and_a_household_paid_twice_are_duplicates(
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    """Certified (a migrated roster, or before the policy declared it) and paid in two
    programs the policy declares exclusive for one year; two members of one household
    certified and paid a per-household benefit for one month: each is a finding in the
    standing report of duplicates, citing both grants."""
    catalogue = load_catalogue()
    assert "reward_assistance_rural" in catalogue.exclusive_with("contraception_reward")
    assert catalogue.per_household("one_child_health_fee")
    both, husband, wife = person(), person(), person()
    home = secrets.token_hex(32)
    reward = granted_in("contraception_reward", both)
    assistance = granted_in("reward_assistance_rural", both)
    fee = [granted_in("one_child_health_fee", p, household_key=home) for p in (husband, wife)]
    events: list[Event] = [reward, assistance, *fee,
                           *paid_run("contraception_reward", "2026", reward),
                           *paid_run("reward_assistance_rural", "2026", assistance),
                           *paid_run("one_child_health_fee", PERIOD, *fee)]
    ids = dict(zip((id(e) for e in events), await publish_all(siquan_env, events),
                   strict=True))

    async def listed() -> dict[str, list[dict[str, Any]]]:
        response = await auditor.get("/duplicates", params={"status": "open"})
        response.raise_for_status()
        report: dict[str, list[dict[str, Any]]] = response.json()["duplicates"]
        mine = {rule: [f for f in found if f["person_key"] in (both, husband, wife)]
                for rule, found in report.items()}
        return mine if all(mine[rule] for rule in ("certified_in_exclusive_programs",
                                                   "household_certified_twice")) else {}

    report = await eventually(listed, timeout=30, what="both duplicates listed")
    (exclusive,) = report["certified_in_exclusive_programs"]
    assert (exclusive["category"], exclusive["status"]) == ("wrong_eligibility_decision",
                                                            "open")
    assert exclusive["person_key"] == both
    # named after whichever grant was judged with the other on record (one finding a pair)
    assert {exclusive["program_code"], exclusive["details"]["exclusive_with"]} == {
        "contraception_reward", "reward_assistance_rural"}
    assert sorted(exclusive["evidence"]) == sorted([ids[id(reward)], ids[id(assistance)]])
    (household,) = report["household_certified_twice"]
    assert household["category"] == "wrong_eligibility_decision"
    assert household["program_code"] == "one_child_health_fee"
    assert household["person_key"] in (husband, wife)
    assert sorted(household["evidence"]) == sorted(ids[id(f)] for f in fee)
    assert report["account_shared_outside_household"] == []


def answering(run: dict[str, str], cert: eligibility.CertificationGranted, payment_id: str,
              *, refused: bool) -> Event:
    """The chunk of its own in which the bank answers a disputed payment as instructed."""
    if not refused:
        return chunk(run, paid(cert, payment_id=payment_id), number=5)
    common = {k: v for k, v in run.items() if k != "started_by"}
    return disbursement.PaymentsFailed(chunk=5, payments=[disbursement.FailedPayment(
        payment_id=payment_id, person_key=cert.person_key, amount_fen=OWED,
        reason="account frozen")], **common)


def differing(run: dict[str, str], payment_id: str, found_at: datetime
              ) -> disbursement.BankResultMismatch:
    common = {k: v for k, v in run.items() if k != "started_by"}
    return disbursement.BankResultMismatch(
        batch=f"{run['run_id']}-0-abc", kind="amount_differs", payment_id=payment_id,
        expected_amount_fen=OWED, stated_amount_fen=12_000,
        expected_account="6222********0001", stated_account="6222********0001",
        outcome="settled", bank_reference="B9", found_at=found_at, **common)


@pytest.mark.parametrize("refused", [False, True])
async def test_a_difference_logged_after_the_corrected_answer_is_dismissed(
        siquan_env: Environment, logged: Logged, findings: Findings, refused: bool) -> None:
    """Two instances: the bank's corrected answer was logged by one before the other logged
    the difference it corrects (found a minute before the answer occurred)."""
    cert, run, payment_id = granted(person()), a_run(), str(uuid.uuid4())
    found_at = datetime.now(UTC) - timedelta(minutes=1)
    await logged_all(siquan_env, [cert, *started(run),
                                  answering(run, cert, payment_id, refused=refused)], logged)

    await logged_all(siquan_env, [differing(run, payment_id, found_at)], logged)

    (finding,) = await findings(run_id=run["run_id"], rule="bank_result_differs")
    assert (finding["status"], finding["outcome"]) == ("resolved", "dismissed")
    assert payment_id in finding["resolution"] and "chunk 5" in finding["resolution"]


async def test_a_difference_found_after_the_payment_was_answered_stays_open(
        siquan_env: Environment, logged: Logged, findings: Findings) -> None:
    """A second, wrong line about a payment the bank had answered before: an auditor's."""
    cert, run, payment_id = granted(person()), a_run(), str(uuid.uuid4())
    await logged_all(siquan_env, [cert, *started(run),
                                  answering(run, cert, payment_id, refused=False)], logged)

    await logged_all(siquan_env, [differing(run, payment_id, datetime.now(UTC))], logged)

    (finding,) = await findings(run_id=run["run_id"], rule="bank_result_differs")
    assert finding["status"] == "open"
