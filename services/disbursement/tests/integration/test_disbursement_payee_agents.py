"""Payee agents and shared accounts on the running service and its database: an agent's
account is kept with the agency's evidence and the agent only as a person key; an account
shared by unrelated payees is held (a run skips it until a second officer confirms) and in
the duplicates report; one shared within a household is neither."""

from __future__ import annotations

from typing import Any

import httpx

from siquan.contracts.eligibility_v1 import CertificationGranted
from siquan.contracts.types import gb11643_check_digit
from siquan.shared.person import account_fingerprint, person_key
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.waiting import eventually

SECRET = "disbursement-tests-person-key"  # the service's, as the conftest starts it
DISBURSER = {"Authorization": "Bearer dev-disburser-420117-01"}
CHECKER = {"Authorization": "Bearer dev-disburser-420117-02"}
HOUSEHOLD = "c" * 64


def resident_id(n: int) -> str:
    first17 = f"42011719500101{n:03d}"
    return first17 + gb11643_check_digit(first17)


def account_number(n: int) -> str:
    return f"62220200{n:011d}"


def agency(n: int, agent: int) -> dict[str, Any]:
    return {"resident_id": resident_id(n), "bank_code": "102",
            "account_number": account_number(agent), "account_name": "李建国",
            "agent": {"resident_id": resident_id(agent), "evidence_kind": "guardianship",
                      "evidence_reference": "监护-2026-17"}}


async def test_an_agents_account_is_kept_with_its_evidence_and_the_agent_as_a_key(
        world: Any) -> None:
    world.start()
    for n in (1, 2):
        await world.grant(n)
    assert (await world.register(1, name="张桂英")).status_code == 201
    await world.await_certification_of(2)
    async with tap(world.env, "disbursement") as seen:
        recorded = await world.post("/payee-accounts", agency(1, 2))
        announced = (await seen.wait_for("payee_account.registered.v1"))[-1].body
    assert recorded.status_code == 201, recorded.text
    assert resident_id(2) not in recorded.text and "监护" not in recorded.text
    row = await world.db_rows(
        "SELECT account_number, account_name, agent_key, agent_masked_id,"
        " agent_evidence_kind, agent_evidence_reference, account_fingerprint, confirmed_at"
        " FROM payee_accounts WHERE person_key = $1 AND superseded_at IS NULL",
        person_key(SECRET, resident_id(1)))
    assert dict(row[0]) == {
        "account_number": account_number(2), "account_name": "李建国",
        "agent_key": person_key(SECRET, resident_id(2)),
        "agent_masked_id": f"{resident_id(2)[:4]}**********{resident_id(2)[-4:]}",
        "agent_evidence_kind": "guardianship", "agent_evidence_reference": "监护-2026-17",
        "account_fingerprint": account_fingerprint(SECRET, "102", account_number(2)),
        "confirmed_at": None}
    assert announced["collected_by_agent"] and announced["awaiting_confirmation"]
    assert "监护" not in str(announced) and resident_id(2) not in str(announced)

    self_agent = await world.post("/payee-accounts", agency(2, 2))
    assert self_agent.status_code == 409 and resident_id(2) not in self_agent.text
    wrong_digit = "1" if resident_id(2)[-1] != "1" else "2"
    bad_id = {**agency(1, 2), "agent": {**agency(1, 2)["agent"],
                                        "resident_id": resident_id(2)[:-1] + wrong_digit}}
    refused = await world.post("/payee-accounts", bad_id)
    assert refused.status_code == 422 and resident_id(2)[:-1] not in refused.text


async def test_a_shared_account_is_held_until_confirmed_and_reported(world: Any) -> None:
    world.start()
    for n in (1, 2):
        await world.grant(n)
    assert (await world.register(1)).status_code == 201
    held = await world.register(2, account_number(1), confirm=False)
    assert held.status_code == 201 and held.json()["awaiting_confirmation"] is True
    assert "outside the household" in held.json()["held_reason"]
    report = (await _get(world, "/duplicates")).json()
    [shared] = report["duplicates"]
    assert {p["person_key"] for p in shared["payees"]} == {
        person_key(SECRET, resident_id(n)) for n in (1, 2)}
    assert account_number(1) not in str(report)
    await world.await_certifications(2)
    started = await world.start_run("2031-05")
    assert [s["reason"] for s in started.json()["skipped"]] == [
        "account change awaiting confirmation"]
    confirmed = await world.post("/payee-accounts/confirmations", {
        "resident_id": resident_id(2), "bank_code": "102",
        "account_number": account_number(1)}, CHECKER)
    assert confirmed.status_code == 201, confirmed.text
    assert (await _get(world, "/duplicates")).json()["total"] == 1


async def test_an_account_shared_within_a_household_is_neither_held_nor_reported(
        world: Any) -> None:
    world.start()
    for n in (1, 2):
        event = await world.grant(n)
        await publish_as(world.env, CertificationGranted(**{
            **event.model_dump(), "certification_id": event.certification_id + "-h",
            "program_code": "one_child_health_fee", "category": "standard",
            "policy_version": "national-2009", "household_key": HOUSEHOLD}))

    async def households() -> bool:
        return bool(await world.db_value("SELECT count(*) FROM payee_households") == 2)
    await eventually(households, what="both households kept")
    assert (await world.register(1)).status_code == 201
    spouse = await world.register(2, account_number(1), confirm=False)
    assert spouse.json()["awaiting_confirmation"] is False, spouse.text
    assert spouse.json()["held_reason"] is None
    assert (await _get(world, "/duplicates")).json() == {"duplicates": [], "total": 0}


async def _get(world: Any, path: str) -> Any:
    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        return await client.get(path, headers=DISBURSER)
