"""Payee agents (代领人) and duplicates through the four services as processes, on the real
broker and databases, the bank answering the fixed-width GBK 代发 files (issue 14, "case
changes" and "duplicates").

- An elderly beneficiary's son collects for her on a power of attorney: both are certified
  through eligibility's API (application, reviews, notice, approval), the runs pay her
  benefit into his own account and the bank's file names him as the account holder (户名);
  the events and her statement say an agent collects (masked); the son is a beneficiary
  too, paid into the same account, which is no duplicate (a recorded agency). Ending the
  agency pays her own account again.
- Two unrelated payees registered to one account: the second registration is held for a
  second officer with the reason, disbursement's duplicates report shows the account and
  oversight raises a finding citing both registrations.
- A person certified in rural reward-and-assistance applies for the contraception reward,
  which the policy declares exclusive with it: eligibility refuses, with the reason."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.policy import load_catalogue
from siquan.disbursement.adapters.batch_file_bank import GbkFormat
from siquan.shared.operator.client import Officers, RefusedByService, ServiceClient
from siquan.shared.operator.county_cycle import Beneficiary, CountyCycle, RunPlan
from siquan.shared.person import account_fingerprint, person_key
from siquan.shared.testing.bank_files import bank_file_env
from siquan.shared.testing.cluster import Cluster, running_cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.bank_counterpart import BatchFileCounterpart, answering_bank

pytestmark = pytest.mark.e2e

PROGRAM, DIVISION, YEAR = "special_assistance", "420117", 2026
BANK_KEY = "agents-key-shared-with-the-bank"
MOTHER_OWN, SON_OWN = "62284800000000117", "62284800000000125"
SHARED = "62284800000000133"
MOTHER, SON = "张桂英", "李建国"
EVIDENCE = "(2026)委字第12号"
SHARED_RULE = "account_shared_outside_household"


def key(resident_id: str) -> str:
    return person_key(TEST_PERSON_KEY_SECRET, resident_id)


def monthly(period: str) -> int:
    return load_catalogue().amount_for(PROGRAM, "death", period, DIVISION)


@pytest.fixture(scope="module")
def cluster(siquan_env: Environment, tmp_path_factory: pytest.TempPathFactory,
            bank_dir: Path) -> Iterator[Cluster]:
    disbursement = {**bank_file_env(bank_dir, gbk_key=BANK_KEY),
                    "SIQUAN_PAYMENT_POLL_SECONDS": "0.2"}
    base = Path(tmp_path_factory.mktemp("agents"))
    with running_cluster(siquan_env, base / "logs",
                         extra_env={"disbursement": disbursement}) as running:
        yield running


@pytest.fixture(scope="module")
async def bank(cluster: Cluster, bank_dir: Path) -> AsyncIterator[BatchFileCounterpart]:
    """The bank's side of the files: it takes each instruction file and answers it."""
    async with answering_bank(bank_dir, cluster.env.bank_dsn,
                              file_format=GbkFormat(BANK_KEY)) as counterpart:
        yield counterpart


@pytest.fixture
async def cycle(cluster: Cluster) -> AsyncIterator[CountyCycle]:
    driver = CountyCycle.of(cluster)
    try:
        yield driver
    finally:
        await driver.close()


def instructions(bank: BatchFileCounterpart, run_id: str) -> list[tuple[str, str, int]]:
    """(account, holder's name, fen) of each instruction the run wrote to the bank."""
    files = sorted((bank.outbox / "taken").glob(f"instructions-*{run_id}*.dat"))
    return sorted((i.account_number, i.account_name, i.amount_fen)
                  for path in files for i in GbkFormat(BANK_KEY).read_instructions(path))


async def grant(cluster: Cluster, resident: str) -> None:
    """The certification as eligibility announces it, for a test about the accounts only
    (its chain is not under test there)."""
    await publish_as(cluster.env, CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category="death", policy_version="wuhan-2012",
        person_key=key(resident), masked_name="张*",
        masked_resident_id=f"{resident[:4]}**********{resident[-4:]}",
        division_code=DIVISION, effective_from=date(YEAR, 1, 1),
        reviewed_by=Officers.reviewer, approved_by=Officers.approver,
        approved_at=datetime.now(UTC)))


async def register(disbursement: ServiceClient, body: dict[str, Any]) -> dict[str, Any]:
    """Register an account once disbursement holds the person's certification (404 until
    then)."""
    async def registered() -> dict[str, Any] | None:
        try:
            answer: dict[str, Any] = await disbursement.call(
                "POST", "/payee-accounts", Officers.disburser, json=body)
        except RefusedByService as refused:
            if refused.response.status_code == 404:
                return None
            raise
        return answer
    return await eventually(registered, timeout=60, what="the certification in disbursement")


def account(resident: str, number: str, name: str) -> dict[str, Any]:
    return {"resident_id": resident, "bank_code": "ABC", "account_number": number,
            "account_name": name}


async def audited(cycle: CountyCycle, person: str, message_type: str, count: int
                  ) -> list[dict[str, Any]]:
    async def found() -> list[dict[str, Any]] | None:
        answer = await cycle.oversight.call("GET", f"/audit/persons/{person}?limit=500",
                                            Officers.auditor)
        bodies = [e["body"] for e in answer["entries"] if e["message_type"] == message_type]
        return bodies if len(bodies) >= count else None
    return await eventually(found, timeout=60, what=f"{message_type} audited")


async def judged(cluster: Cluster, person: str, fingerprint: str) -> None:
    """Oversight's rules have taken the person's registration to this account."""
    async def seen() -> bool:
        rows = await cluster.env.fetch(
            "oversight", "SELECT 1 FROM watched_account_uses"
            " WHERE person_key = $1 AND account_fingerprint = $2", person, fingerprint)
        return bool(rows)
    await eventually(seen, timeout=60, what="the registration judged by oversight")


async def statement(cycle: CountyCycle, person: str, *, collected: bool) -> dict[str, Any]:
    """The person's statement once it says whether an agent collects for them."""
    async def read() -> dict[str, Any] | None:
        found: dict[str, Any] = await cycle.oversight.call(
            "GET", f"/statements/{person}?purpose=代领核对", Officers.auditor)
        return found if found["collected_by_agent"] is collected else None
    return await eventually(read, timeout=60, what="the statement's agent")


async def shared_findings(cycle: CountyCycle, person: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await cycle.oversight.call(
        "GET", f"/findings?rule={SHARED_RULE}&person_key={person}", Officers.auditor)
    return found


@pytest.mark.timeout(300)
async def test_an_agent_collects_into_their_own_account_named_in_the_bank_file(
        cluster: Cluster, bank: BatchFileCounterpart, cycle: CountyCycle) -> None:
    cluster.clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    residents = ResidentFactory(DIVISION, birth_year=1941)
    mother, son = residents.next(), ResidentFactory(DIVISION, birth_year=1962).next()
    disbursement = cycle.disbursement
    # both certified through eligibility's API: application, reviews, notice, approval
    await cycle.certify_all([Beneficiary(mother, MOTHER, PROGRAM, "death"),
                             Beneficiary(son, SON, PROGRAM, "death")],
                            eligible_from=f"{YEAR}-01-01")
    await register(disbursement, account(mother, MOTHER_OWN, MOTHER))
    await register(disbursement, account(son, SON_OWN, SON))

    # The son collects for his mother, into his own account, on a power of attorney.
    agency = {**account(mother, SON_OWN, SON), "agent": {
        "resident_id": son, "evidence_kind": "power_of_attorney",
        "evidence_reference": EVIDENCE}}
    recorded = await disbursement.call("POST", "/payee-accounts", Officers.disburser,
                                       json=agency)
    assert (recorded["collected_by_agent"], recorded["awaiting_confirmation"],
            recorded["held_reason"]) == (True, True, None)
    await disbursement.call("POST", "/payee-accounts/confirmations", Officers.checker,
                            json=account(mother, SON_OWN, SON))
    reported = await disbursement.call("GET", "/duplicates", Officers.disburser)
    fingerprint = account_fingerprint(TEST_PERSON_KEY_SECRET, "ABC", SON_OWN)
    assert fingerprint not in {d["account_fingerprint"] for d in reported["duplicates"]}

    # January: both benefits go to the son's account, under his name.
    await cycle.appropriate(RunPlan(PROGRAM, f"{YEAR}-01"), 10 * monthly(f"{YEAR}-01") * 4)
    await cycle.wait_until_disbursement_knows(2, PROGRAM)
    january = await cycle.pay(RunPlan(PROGRAM, f"{YEAR}-01"))
    owed = monthly(f"{YEAR}-01")
    assert january["amounts_fen"]["settled"] == 2 * owed
    assert instructions(bank, january["run_id"]) == [(SON_OWN, SON, owed)] * 2

    # The events say an agent collects, masked; the agency is no duplicate for oversight.
    [registered] = [body for body in await audited(
        cycle, key(mother), "payee_account.registered.v1", 2) if body["collected_by_agent"]]
    assert registered["agent_person_key"] == key(son)
    assert registered["agent_masked_resident_id"] == f"{son[:4]}**********{son[-4:]}"
    assert registered["agent_evidence_kind"] == "power_of_attorney"
    assert registered["account_fingerprint"] == fingerprint
    [confirmed] = [body for body in await audited(
        cycle, key(mother), "payee_account.confirmed.v1", 1) if body["collected_by_agent"]]
    assert confirmed["account_fingerprint"] == fingerprint
    for body in (registered, confirmed):
        for personal in (son, SON_OWN, SON, EVIDENCE):
            assert personal not in str(body)
    await judged(cluster, key(mother), fingerprint)
    assert await shared_findings(cycle, key(mother)) == []
    assert await shared_findings(cycle, key(son)) == []
    collected = await statement(cycle, key(mother), collected=True)
    assert collected["agent"]["masked_resident_id"] == f"{son[:4]}**********{son[-4:]}"
    assert collected["agent"]["evidence_kind"] == "power_of_attorney"
    assert son not in str(collected) and key(son) not in str(collected)

    # Ending the agency: a second officer confirms, and February pays her own account.
    cluster.clock.set(datetime(YEAR, 2, 5, 9, tzinfo=UTC))
    ended = await disbursement.call("POST", "/payee-accounts/agency-endings",
                                    Officers.disburser, json={"resident_id": mother})
    assert (ended["collected_by_agent"], ended["awaiting_confirmation"]) == (False, True)
    assert ended["masked_account"].endswith(MOTHER_OWN[-4:])
    await disbursement.call("POST", "/payee-accounts/confirmations", Officers.checker,
                            json=account(mother, MOTHER_OWN, MOTHER))
    assert (await statement(cycle, key(mother), collected=False))["agent"] is None
    february = await cycle.pay(RunPlan(PROGRAM, f"{YEAR}-02"))
    again = monthly(f"{YEAR}-02")
    assert instructions(bank, february["run_id"]) == sorted(
        [(MOTHER_OWN, MOTHER, again), (SON_OWN, SON, again)])
    with pytest.raises(RefusedByService) as no_agent:
        await disbursement.call("POST", "/payee-accounts/agency-endings",
                                Officers.disburser, json={"resident_id": mother})
    assert no_agent.value.response.status_code == 404


@pytest.mark.timeout(300)
async def test_an_account_shared_by_unrelated_payees_is_held_reported_and_found(
        cluster: Cluster, cycle: CountyCycle) -> None:
    residents = ResidentFactory(DIVISION, birth_year=1955)
    first, second = residents.next(), residents.next()
    for resident in (first, second):
        await grant(cluster, resident)
    alone = await register(cycle.disbursement, account(first, SHARED, "王芳"))
    held = await register(cycle.disbursement, account(second, SHARED, "王芳"))
    assert alone["awaiting_confirmation"] is False and alone["held_reason"] is None
    assert held["awaiting_confirmation"] is True and held["replaces_previous"] is False
    assert "outside the household" in held["held_reason"]

    fingerprint = account_fingerprint(TEST_PERSON_KEY_SECRET, "ABC", SHARED)
    reported = await cycle.disbursement.call("GET", "/duplicates", Officers.auditor)
    [duplicate] = [d for d in reported["duplicates"]
                   if d["account_fingerprint"] == fingerprint]
    assert {p["person_key"] for p in duplicate["payees"]} == {key(first), key(second)}
    assert duplicate["masked_account"] == "*************0133"
    assert SHARED not in str(reported)

    async def found() -> list[dict[str, Any]] | None:
        # named after whichever registration oversight judged second
        return (await shared_findings(cycle, key(second))
                or await shared_findings(cycle, key(first)) or None)
    [finding] = await eventually(found, timeout=120, what="the shared account's finding")
    assert (finding["category"], finding["status"]) == ("wrong_payment", "open")
    assert len(finding["evidence"]) == 2 and "0133" in finding["reason"]
    report = await cycle.oversight.call("GET", "/duplicates", Officers.auditor)
    assert finding["finding_id"] in {f["finding_id"] for f in report["duplicates"][SHARED_RULE]}
    registrations = await audited(cycle, key(second), "payee_account.registered.v1", 1)
    assert registrations[0]["shared_outside_household"] is True
    for personal in (first, second, SHARED):
        assert personal not in str(finding)


@pytest.mark.timeout(300)
async def test_an_application_for_an_exclusive_program_is_refused_with_the_reason(
        cluster: Cluster, cycle: CountyCycle) -> None:
    person = Beneficiary(ResidentFactory(DIVISION, birth_year=1958).next(), "刘德华",
                         "reward_assistance_rural", "standard")
    await cycle.certify(person, eligible_from=f"{YEAR}-01-01")
    with pytest.raises(RefusedByService) as refused:
        await cycle.eligibility.call("POST", "/applications", Officers.clerk, json={
            "resident_id": person.resident_id, "name": person.name,
            "program_code": "contraception_reward", "category": "standard",
            "division_code": DIVISION, "eligible_from": f"{YEAR}-01-01"})
    answer = refused.value.response
    assert answer.status_code == 409
    assert "exclusive with contraception_reward" in answer.text
    assert "reward_assistance_rural" in answer.text
    assert person.resident_id not in answer.text and key(person.resident_id) not in answer.text
    report = await cycle.eligibility.call("GET", "/duplicates", Officers.approver)
    assert report["pairs"] == [["contraception_reward", "reward_assistance_rural"]]
    assert key(person.resident_id) not in {
        d["person_key"] for d in report["exclusive_programs"]}
