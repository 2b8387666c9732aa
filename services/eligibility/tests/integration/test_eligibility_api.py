"""Eligibility as a process on the real broker and database: the HTTP API's rules, the
separation of duties and the signed certification it publishes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest

from siquan.contracts.policy import load_catalogue
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.desk import APPROVER, AUDITOR, CLERK, DUAL, REVIEWER, Desk, application

pytestmark = pytest.mark.integration
Snapshot = Callable[[], Awaitable[dict[str, Any]]]


async def _closed(desk: Desk, notice_id: str) -> None:
    async def closed() -> bool:
        shown = await desk.call("GET", f"/notices/{notice_id}", AUDITOR, expect=200)
        return bool(shown.json()["status"] == "closed")

    await eventually(closed, timeout=30, what=f"notice {notice_id} closed")


async def test_approval_by_another_officer_publishes_a_signed_certification(
        siquan_env: Environment, desk: Desk) -> None:
    resident = ResidentFactory().next()
    async with tap(siquan_env, "eligibility") as seen:
        application_id, certification_id = await desk.certify(resident)
        granted = await seen.wait_for("certification.granted.v1")
    body = granted[0].body
    assert (body["application_id"], body["certification_id"]) == (application_id,
                                                                  certification_id)
    assert (body["reviewed_by"], body["approved_by"]) == (REVIEWER, APPROVER)
    assert body["policy_version"] == load_catalogue().in_force(
        "special_assistance", desk.today(), "420117").version
    assert body["valid_until"] == f"{desk.today().year}-12-31"
    assert resident not in str(body) and body["masked_resident_id"].count("*") == 10
    assert granted[0].headers["x-siquan-signature"]


async def test_the_single_application_endpoints_walk_the_same_chain(desk: Desk) -> None:
    application_id = await desk.submit(ResidentFactory().next())
    await desk.community_review([application_id])
    reviewed = await desk.call("POST", f"/applications/{application_id}/review", REVIEWER,
                               expect=200, json={"outcome": "approved"})
    notice = await desk.publish([application_id])
    early = await desk.call("POST", f"/applications/{application_id}/approve", APPROVER)
    desk.advance_to(date.fromisoformat(notice["closes_on"]))
    approved = await desk.call("POST", f"/applications/{application_id}/approve", APPROVER,
                               expect=200)
    assert reviewed.json()["status"] == "township_reviewed"
    assert early.status_code == 409 and "still on public notice" in early.json()["detail"]
    assert approved.json()["certification_id"]
    assert (await desk.show(application_id))["status"] == "certified"


async def test_approval_by_the_officer_who_reviewed_is_refused_and_changes_nothing(
        desk: Desk, snapshot: Snapshot) -> None:
    application_id = await desk.submit(ResidentFactory().next())
    notice = await desk.to_notice([application_id], reviewer=DUAL)
    desk.advance_to(date.fromisoformat(notice["closes_on"]))
    await _closed(desk, notice["notice_id"])
    before = await snapshot()
    refused = await desk.approve_notice(notice["notice_id"], officer=DUAL, expect=409)
    single = await desk.call("POST", f"/applications/{application_id}/approve", DUAL,
                             expect=409)
    assert "reviewed this application and cannot also approve it" in refused.json()["detail"]
    assert "cannot also approve it" in single.json()["detail"]
    assert (await desk.show(application_id))["status"] == "notice_closed"
    assert await snapshot() == before


async def test_an_invalid_resident_id_is_refused_naming_the_field(
        desk: Desk, snapshot: Snapshot) -> None:
    before = await snapshot()
    refused = await desk.call("POST", "/applications", CLERK,
                              json=application("110105194912310021"))
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["loc"] == ["body", "resident_id"] and "check digit" in error["msg"]
    assert await snapshot() == before


async def test_a_clerk_of_another_county_and_an_anonymous_caller_are_refused(
        desk: Desk, snapshot: Snapshot) -> None:
    before = await snapshot()
    body = application(ResidentFactory().next())
    other_county = await desk.call("POST", "/applications", "clerk-420102-01", json=body)
    anonymous = await desk.http.post("/applications", json=body)
    wrong_role = await desk.call("POST", "/applications", "treasury-420117-01", json=body)
    assert other_county.status_code == 403 and "420117" in other_county.json()["detail"]
    assert anonymous.status_code == 401
    assert wrong_role.status_code == 403
    assert await snapshot() == before


async def test_a_second_live_application_for_the_same_person_and_program_is_refused(
        desk: Desk, snapshot: Snapshot) -> None:
    resident = ResidentFactory().next()
    await desk.submit(resident)
    before = await snapshot()
    second = await desk.call("POST", "/applications", CLERK, json=application(resident))
    assert second.status_code == 409 and "already has a live application" in second.text
    assert await snapshot() == before


async def test_a_step_out_of_order_is_refused_and_says_why(desk: Desk,
                                                          snapshot: Snapshot) -> None:
    application_id = await desk.submit(ResidentFactory().next())
    before = await snapshot()
    skipped = await desk.township_review([application_id], expect=409)
    no_notice = await desk.call("POST", "/notices", REVIEWER, json={
        "program_code": "special_assistance", "division_code": "420117",
        "application_ids": [application_id]})
    assert "the township review needs it community_reviewed" in skipped.json()["detail"]
    assert no_notice.status_code == 409 and "needs it township_reviewed" in no_notice.text
    assert await snapshot() == before
