"""Holds an auditor places through the API: on a person oversight knows a certification of,
or on a payment run oversight heard started, within the auditor's division, with a reason
and evidence; published by oversight (`HoldPlaced`, `RunHoldPlaced`); lifted once with a
reason and the lifting officer."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.waiting import eventually

PROGRAM = "special_assistance"
EVIDENCE = ["county audit report 2026-17", "bank statement line 0042"]


async def grant(env: Environment, person_key: str, division: str = "420117") -> None:
    await publish_as(env, eligibility.CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category="death", policy_version="v", person_key=person_key,
        masked_name="王*", masked_resident_id="4201**********0011", division_code=division,
        effective_from=date(2026, 1, 1), reviewed_by=f"reviewer-{division}-01",
        approved_by=f"approver-{division}-01", approved_at=datetime(2026, 1, 5, tzinfo=UTC)))


async def certified(env: Environment, auditor: httpx.AsyncClient) -> str:
    """A person certified in 420117, once oversight has heard of the certification."""
    person_key = secrets.token_hex(32)
    await grant(env, person_key)

    async def heard() -> bool:
        # Asking about a person oversight does not know yet changes nothing (404).
        found = await auditor.get("/audit/persons/" + person_key,
                                  params={"purpose": "hold to be placed"})
        return found.status_code == 200 and bool(found.json()["entries"])

    await eventually(heard, what="the certification heard")
    return person_key


def placing(person_key: str, **changes: Any) -> dict[str, Any]:
    return {"person_key": person_key, "program_code": PROGRAM,
            "reason": "payee reported living abroad since March", "evidence": EVIDENCE,
            **changes}


async def place_when_known(auditor: httpx.AsyncClient, body: dict[str, Any]
                           ) -> httpx.Response:
    """The hold placed once reconciliation has stored the certification (until then the
    person is unknown and nothing is stored)."""
    async def placed() -> httpx.Response | None:
        response = await auditor.post("/holds", json=body)
        return None if response.status_code == 404 else response

    answer: httpx.Response = await eventually(placed, what="a hold placed")
    return answer


async def test_an_auditor_places_a_hold_and_lifts_it_with_a_reason(
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    person_key = await certified(siquan_env, auditor)

    async with tap(siquan_env, "oversight") as seen:
        placed = await place_when_known(auditor, placing(person_key))
        (placed_event,) = await seen.wait_for("hold.placed.v1")
        twice = await auditor.post("/holds", json=placing(person_key, reason="again"))
        hold_id = placed.json()["hold_id"]
        no_reason = await auditor.post(f"/holds/{hold_id}/lift", json={})
        lifted = await auditor.post(f"/holds/{hold_id}/lift",
                                    json={"reason": "payee appeared in person at the office"})
        (lifted_event,) = await seen.wait_for("hold.lifted.v1")
    listed = (await auditor.get("/holds", params={"person_key": person_key})).json()

    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert (hold["person_key"], hold["program_code"], hold["division_code"]) == (
        person_key, PROGRAM, "420117")
    assert (hold["reason"], hold["evidence"], hold["placed_by"], hold["finding_id"]) == (
        "payee reported living abroad since March", EVIDENCE, "auditor-420117-01", None)
    assert placed_event.headers.get("x-siquan-signature"), placed_event.headers
    assert {k: placed_event.body[k] for k in ("hold_id", "person_key", "program_code",
                                               "reason", "placed_by", "evidence")} == {
        "hold_id": hold_id, "person_key": person_key, "program_code": PROGRAM,
        "reason": "payee reported living abroad since March",
        "placed_by": "auditor-420117-01", "evidence": EVIDENCE}
    assert twice.status_code == 409 and "already in force" in twice.json()["detail"]
    assert no_reason.status_code == 422
    assert lifted.status_code == 200, lifted.text
    assert (lifted.json()["lifted_by"], lifted.json()["lift_reason"]) == (
        "auditor-420117-01", "payee appeared in person at the office")
    assert (lifted_event.body["hold_id"], lifted_event.body["lifted_by"],
            lifted_event.body["reason"]) == (hold_id, "auditor-420117-01",
                                             "payee appeared in person at the office")
    assert listed == [lifted.json()]


async def test_a_hold_without_reason_or_evidence_or_on_an_unknown_person_is_refused(
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    person_key = await certified(siquan_env, auditor)
    stranger = secrets.token_hex(32)

    refused = {
        "no reason": await auditor.post("/holds", json=placing(person_key, reason="")),
        "long reason": await auditor.post("/holds", json=placing(person_key,
                                                                  reason="x" * 2001)),
        "NUL": await auditor.post("/holds", json=placing(person_key, reason="a\x00b")),
        "no evidence": await auditor.post("/holds", json=placing(person_key, evidence=[])),
        "much evidence": await auditor.post("/holds", json=placing(
            person_key, evidence=[f"doc {n}" for n in range(21)])),
        "empty evidence": await auditor.post("/holds", json=placing(person_key,
                                                                     evidence=[""])),
        "bad key": await auditor.post("/holds", json=placing("not-a-person-key")),
        "extra": await auditor.post("/holds", json=placing(person_key, run_id="x")),
    }
    unknown = await auditor.post("/holds", json=placing(stranger))
    other_program = await auditor.post("/holds", json=placing(person_key,
                                                              program_code="reward_x"))

    assert {why: r.status_code for why, r in refused.items()} == {
        why: 422 for why in refused}
    assert unknown.status_code == 404 and stranger not in unknown.text
    assert "knows no certification" in unknown.json()["detail"]
    assert other_program.status_code == 404 and "reward_x" in other_program.json()["detail"]
    assert (await auditor.get("/holds", params={"person_key": person_key})).json() == []


async def test_a_hold_outside_the_auditors_division_or_by_another_role_is_refused(
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    person_key = secrets.token_hex(32)
    await grant(siquan_env, person_key, division="420102")

    out_of_scope = await place_when_known(auditor, placing(person_key))
    async with httpx.AsyncClient(base_url=str(auditor.base_url), headers={
            "Authorization": "Bearer dev-disburser-420117-01"}) as disburser:
        not_auditor = await disburser.post("/holds", json=placing(person_key))

    assert out_of_scope.status_code == 403, out_of_scope.text
    assert "420102" in out_of_scope.json()["detail"] and person_key not in out_of_scope.text
    assert not_auditor.status_code == 403
    assert (await auditor.get("/holds", params={"person_key": person_key})).json() == []


async def started_run(env: Environment, division: str = "420117") -> str:
    run_id = str(uuid.uuid4())
    await publish_as(env, disbursement.PaymentRunStarted(
        run_id=run_id, program_code=PROGRAM, period="2026-11", division_code=division,
        payee_count=1, total_fen=21_000, skipped=(), started_by=f"disburser-{division}-01"))
    return run_id


def on_run(run_id: str, **changes: Any) -> dict[str, Any]:
    return {"run_id": run_id, "reason": "roster lists a person twice",
            "evidence": ["audit memo 2026-9"], **changes}


async def test_an_auditor_holds_a_run_and_lifts_it(
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    run_id = await started_run(siquan_env)

    async with tap(siquan_env, "oversight") as seen:
        placed = await place_when_known(auditor, on_run(run_id))
        (placed_event,) = await seen.wait_for("run_hold.placed.v1")
        twice = await auditor.post("/holds", json=on_run(run_id))
        lifted = await auditor.post(f"/holds/{placed.json()['hold_id']}/lift",
                                    json={"reason": "roster corrected"})
        (lifted_event,) = await seen.wait_for("run_hold.lifted.v1")
    listed = (await auditor.get("/holds", params={"run_id": run_id})).json()

    assert placed.status_code == 201, placed.text
    hold = placed.json()
    assert (hold["run_id"], hold["person_key"], hold["division_code"], hold["evidence"]) == (
        run_id, None, "420117", ["audit memo 2026-9"])
    assert {k: placed_event.body[k] for k in ("hold_id", "run_id", "reason", "placed_by",
                                               "evidence")} == {
        "hold_id": hold["hold_id"], "run_id": run_id, "reason": "roster lists a person twice",
        "placed_by": "auditor-420117-01", "evidence": ["audit memo 2026-9"]}
    assert twice.status_code == 409
    assert lifted.status_code == 200, lifted.text
    assert (lifted_event.body["hold_id"], lifted_event.body["run_id"],
            lifted_event.body["lifted_by"]) == (hold["hold_id"], run_id, "auditor-420117-01")
    assert not seen.of_type("hold.placed.v1") and not seen.of_type("hold.lifted.v1")
    assert listed == [lifted.json()]


async def test_a_run_hold_on_an_unknown_or_foreign_run_or_naming_two_subjects_is_refused(
        siquan_env: Environment, auditor: httpx.AsyncClient) -> None:
    foreign = await started_run(siquan_env, division="420102")
    unknown = str(uuid.uuid4())

    out_of_scope = await place_when_known(auditor, on_run(foreign))
    never_started = await auditor.post("/holds", json=on_run(unknown))
    both = await auditor.post("/holds", json=on_run(unknown, person_key=secrets.token_hex(32)))
    neither = await auditor.post("/holds", json={"reason": "x", "evidence": ["y"]})
    with_program = await auditor.post("/holds", json=on_run(unknown, program_code=PROGRAM))
    not_a_run = await auditor.post("/holds", json=on_run("run-1"))

    assert out_of_scope.status_code == 403 and "420102" in out_of_scope.json()["detail"]
    assert never_started.status_code == 404
    assert "knows no payment run" in never_started.json()["detail"]
    assert [r.status_code for r in (both, neither, with_program, not_a_run)] == [422] * 4
    assert (await auditor.get("/holds", params={"run_id": foreign})).json() == []
