"""Households through the four services as processes, on the real broker and databases
(issue 14, "households").

A township reviewer registers a household (户) with its head and his wife and the
household's facts: their only child died. Both spouses apply for the one-off consolation
(一次性抚慰金), which the policy pays once per household: the husband's application states
no facts, the wife's states the same facts as the register; a third application, stating
that the child is disabled, is refused with the fields that differ from the register.
Another couple, not in the register, apply for it too, each stating the other as spouse:
both are refused as incomplete, `household` named among what is missing (nobody could
tell that they are one household, so both would be paid), until their household is
registered. A neighbour applies from her own registered household, and a second neighbour
whose approval comes later. Both spouses' applications carry the register's household
facts.

At the county's approval the husband is certified with the household's keyed
fingerprint; the wife's approval is refused (409) with the reason, which names nobody.
The one-off run pays the husband and the first neighbour, exactly once each.

Later the husband dies; with his certification revoked the wife is certified (the
register allows one live certification per household), and the next one-off run pays the
second neighbour and skips the wife: disbursement has already paid this household the
benefit (the reason is in the run's skipped list). Every figure comes from the policy
catalogue."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from siquan.contracts.policy import load_catalogue
from siquan.shared.clock import SystemClock
from siquan.shared.operator.client import Officers, RefusedByService
from siquan.shared.operator.county_cycle import (
    Beneficiary,
    CountyCycle,
    RunPlan,
    file_evidence,
)
from siquan.shared.person import household_key, person_key
from siquan.shared.testing.cluster import Cluster
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET
from siquan.shared.testing.facts import household_registration
from siquan.shared.testing.residents import ResidentFactory

pytestmark = pytest.mark.e2e

PROGRAM, CATEGORY, DIVISION, YEAR = "consolation_one_off", "death", "420117", 2026
NUMBER = "420117-2026-000731"
CATALOGUE = load_catalogue()
AMOUNT = CATALOGUE.amount_for(PROGRAM, CATEGORY, f"{YEAR}-O1", DIVISION)
HOUSEHOLD_PAID = ("a per-household benefit: another member of the household is paid it "
                  "for this period")
CHILD = {"sex": "male", "birth_date": "1986-03-12", "status": "died", "died_on": "2025-08-30"}
SHARED: dict[str, Any] = {"residence": "rural", "family_type": "only_child_died",
                          "children": [CHILD], "holds_one_child_certificate": True}


def applicant(resident_id: str) -> dict[str, str]:
    sex = "male" if int(resident_id[16]) % 2 else "female"
    return {"birth_date": f"{resident_id[6:10]}-{resident_id[10:12]}-{resident_id[12:14]}",
            "sex": sex}


@pytest.mark.timeout(480)
async def test_a_per_household_benefit_is_paid_once_and_the_households_facts_are_shared(
        cluster: Cluster) -> None:
    cluster.clock.set(datetime(YEAR, 1, 5, 9, tzinfo=UTC))
    cycle = CountyCycle.of(cluster)
    try:
        await _run(cluster, cycle)
    finally:
        await cycle.close()


async def _run(cluster: Cluster, cycle: CountyCycle) -> None:
    residents = ResidentFactory(DIVISION, birth_year=1958)
    husband, wife, neighbour, later = (Beneficiary(residents.next(), name, PROGRAM, CATEGORY)
                                       for name in ("陈建国", "王秀英", "李淑珍", "赵秀梅"))
    household = await _register(cycle, husband, wife)

    # Both spouses apply: one leaves the household facts to the register, one states them.
    ids = {"husband": await _apply(cycle, husband, None),
           "wife": await _apply(cycle, wife, {**SHARED, "applicant": applicant(
               wife.resident_id)})}
    with pytest.raises(RefusedByService) as differing:
        await _apply(cycle, wife, {**SHARED, "applicant": applicant(wife.resident_id),
                                   "family_type": "only_child_disabled", "children": [{
                                       **CHILD, "status": "disabled", "died_on": None,
                                       "disability_grade": 2}]})
    assert differing.value.response.status_code == 422
    assert "differ from the household register (family_type, children)" in \
        differing.value.response.text
    assert wife.resident_id not in differing.value.response.text
    await _unregistered_spouses_apply(cycle, residents)
    neighbours = {}
    for who, person in (("neighbour", neighbour), ("later", later)):
        facts = {**SHARED, "applicant": applicant(person.resident_id)}
        registration = household_registration(person.resident_id, person.name, facts,
                                              DIVISION)
        await cycle.eligibility.call("POST", "/households", Officers.reviewer,
                                     json=registration)
        neighbours[who] = household_key(TEST_PERSON_KEY_SECRET,
                                        registration["household_number"])
        ids[who] = await _apply(cycle, person, facts)
    for who in ("husband", "wife"):  # the household's facts, shared by both applications
        shown = await cycle.eligibility.call("GET", f"/applications/{ids[who]}",
                                             Officers.reviewer)
        assert {k: shown["facts"][k] for k in ("residence", "family_type", "children")} == {
            k: household["facts"][k] for k in ("residence", "family_type", "children")}
    await _through_notice(cycle, list(ids.values()))

    # The county approves: the husband is certified, the wife is refused (409).
    certified = await _approve(cycle, ids["husband"])
    with pytest.raises(RefusedByService) as twice:
        await _approve(cycle, ids["wife"])
    assert twice.value.response.status_code == 409
    assert "paid once per household" in twice.value.response.text
    assert all(s not in twice.value.response.text
               for s in (wife.resident_id, husband.resident_id, wife.name, NUMBER))
    await _approve(cycle, ids["neighbour"])

    home = household_key(TEST_PERSON_KEY_SECRET, NUMBER)
    await cycle.wait_until_disbursement_knows(2, PROGRAM)
    kept = await cluster.env.fetch(
        "disbursement", "SELECT certification_id, person_key, household_key FROM certifications"
        " WHERE program_code = $1", PROGRAM)
    assert {r["person_key"]: r["household_key"] for r in kept} == {
        person_key(TEST_PERSON_KEY_SECRET, husband.resident_id): home,
        person_key(TEST_PERSON_KEY_SECRET, neighbour.resident_id): neighbours["neighbour"]}
    assert {r["certification_id"] for r in kept} >= {certified}

    for n, person in enumerate((husband, neighbour), start=1):
        await cycle.register_account(person, f"62284802000{n:06d}")
    await cycle.appropriate(RunPlan(PROGRAM, f"{YEAR}-O1"), 4 * AMOUNT)
    first = await cycle.pay(RunPlan(PROGRAM, f"{YEAR}-O1"))
    assert first["amounts_fen"]["settled"] == 2 * AMOUNT

    # The husband dies; the wife is certified now, but the household was paid already.
    cluster.clock.set(datetime(YEAR, 3, 20, 9, tzinfo=UTC))
    await cycle.eligibility.call("POST", "/deaths", Officers.reviewer, json={
        "resident_id": husband.resident_id, "date_of_death": date(YEAR, 3, 15).isoformat(),
        "evidence_kind": "death_certificate", "document_number": "鄂D2026-000731"})
    await _approve(cycle, ids["wife"])
    await _approve(cycle, ids["later"])
    for n, person in enumerate((wife, later), start=3):
        await cycle.register_account(person, f"62284802000{n:06d}")
    started = await cycle.disbursement.call("POST", "/runs", Officers.disburser, json={
        "program_code": PROGRAM, "period": f"{YEAR}-O2", "division_code": DIVISION})
    skipped = {s["person_key"]: s["reason"] for s in started["skipped"]}
    assert skipped[person_key(TEST_PERSON_KEY_SECRET, wife.resident_id)] == HOUSEHOLD_PAID
    assert started["control_totals"] == {"payee_count": 1, "total_fen": AMOUNT}
    second = await cycle.pay_result(started["run_id"])
    assert second["amounts_fen"]["settled"] == AMOUNT

    paid = await cluster.env.fetch(
        "disbursement", "SELECT person_key, count(*) AS n FROM payments"
        " WHERE program_code = $1 AND status = 'settled' GROUP BY person_key", PROGRAM)
    assert {r["person_key"]: r["n"] for r in paid} == {
        person_key(TEST_PERSON_KEY_SECRET, p.resident_id): 1
        for p in (husband, neighbour, later)}


async def _register(cycle: CountyCycle, husband: Beneficiary, wife: Beneficiary
                    ) -> dict[str, Any]:
    body = {"household_number": NUMBER, "division_code": DIVISION, "facts": SHARED,
            "members": [{"resident_id": husband.resident_id, "name": husband.name,
                         "relationship": "head"},
                        {"resident_id": wife.resident_id, "name": wife.name,
                         "relationship": "spouse"}]}
    registered = await cycle.eligibility.call("POST", "/households", Officers.reviewer,
                                              json=body)
    again = await cycle.eligibility.call("POST", "/households", Officers.reviewer, json=body)
    assert (registered["status"], again["status"]) == ("registered", "already_registered")
    assert again["household_id"] == registered["household_id"]
    shown = await cycle.eligibility.call("GET", f"/households/{registered['household_id']}",
                                         Officers.clerk)
    text = repr(shown)
    assert all(s not in text for s in (NUMBER, husband.resident_id, wife.resident_id,
                                       husband.name, wife.name))
    assert [m["relationship"] for m in shown["members"]] == ["head", "spouse"]
    assert all("*" in m["masked_resident_id"] for m in shown["members"])
    return dict(shown)


async def _unregistered_spouses_apply(cycle: CountyCycle, residents: ResidentFactory) -> None:
    """Spouses outside the register, each stating the other: refused (422) as incomplete
    with `household` among what is missing, naming nobody; nothing is entered."""
    him, her = (Beneficiary(residents.next(), name, PROGRAM, CATEGORY)
                for name in ("孙立新", "周美华"))
    for person, spouse in ((him, her), (her, him)):
        with pytest.raises(RefusedByService) as refused:
            await _apply(cycle, person, {**SHARED, "applicant": applicant(person.resident_id),
                                         "spouse": applicant(spouse.resident_id)})
        problem = refused.value.response.json()
        assert refused.value.response.status_code == 422 and "incomplete" in problem["detail"]
        assert [(e["field"], e["type"]) for e in problem["errors"]] == [("household", "missing")]
        assert all(s not in str(problem) for s in (him.resident_id, her.resident_id,
                                                   him.name, her.name))
    listed = await cycle.eligibility.call(
        "GET", f"/applications?program_code={PROGRAM}&limit=100", Officers.reviewer)
    assert listed["items"] and all(a["masked_name"][0] not in "孙周" for a in listed["items"])


async def _apply(cycle: CountyCycle, person: Beneficiary, facts: dict[str, Any] | None
                 ) -> str:
    submitted = await cycle.eligibility.call("POST", "/applications", Officers.clerk, json={
        "resident_id": person.resident_id, "name": person.name, "program_code": PROGRAM,
        "category": CATEGORY, "division_code": DIVISION, "eligible_from": f"{YEAR}-01-01",
        **({"household": {**facts, "applicant_role": "parent"}} if facts is not None
           else {})})
    application_id = str(submitted["application_id"])
    await file_evidence(cycle.eligibility, application_id, PROGRAM, CATEGORY)
    return application_id


async def _through_notice(cycle: CountyCycle, ids: list[str]) -> None:
    today = (cycle.clock or SystemClock()).today()
    await cycle.eligibility.call("POST", "/community-reviews", Officers.clerk, json={
        "division_code": DIVISION, "held_on": today.isoformat(), "present": 30,
        "passed": ids})
    await cycle.eligibility.call("POST", "/township-reviews", Officers.reviewer,
                                 json={"approved": ids})
    notice = await cycle.eligibility.call("POST", "/notices", Officers.reviewer, json={
        "program_code": PROGRAM, "division_code": DIVISION, "application_ids": ids})
    assert cycle.clock is not None
    cycle.clock.set(datetime.combine(date.fromisoformat(notice["closes_on"]), time(9),
                                     cycle.clock.zone))  # the office's morning


async def _approve(cycle: CountyCycle, application_id: str) -> str:
    approved = await cycle.eligibility.call(
        "POST", f"/applications/{application_id}/approve", Officers.approver)
    assert approved["status"] == "certified"
    return str(approved["certification_id"])

