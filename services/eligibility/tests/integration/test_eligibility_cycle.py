"""The certification cycle end to end through the HTTP API, on the real broker and database:
a township's application with its facts and evidence, community review, township review,
the public notice and an objection to it, county approval, and the timeliness report."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from siquan.contracts.oversight_v1 import ComplaintFiled, ComplaintResolved
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.facts import qualifying_household
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.desk import APPROVER, AUDITOR, Desk, application

pytestmark = pytest.mark.integration
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
TOWNSHIP, OTHER_TOWNSHIP = "420117001", "420117002"
CLERK_1, REVIEWER_1 = "clerk-420117001-01", "reviewer-420117001-01"
CLERK_2, REVIEWER_2 = "clerk-420117002-01", "reviewer-420117002-01"
def _facts(resident_id: str) -> dict[str, Any]:
    """A parent's household whose only child died, the parent being the ID's person."""
    return {**qualifying_household(resident_id, "special_assistance", "death"),
            "residence": "rural",
            "children": [{"birth_date": "1985-04-02", "sex": "male", "status": "died",
                          "died_on": "2008-05-12"}]}


def _objection(application_id: str) -> ComplaintFiled:
    return ComplaintFiled(complaint_id=str(uuid.uuid4()), tracking_number="TS-0001",
                          category="notice_objection", application_id=application_id,
                          division_code=TOWNSHIP, filed_at=datetime.now(UTC))


def _resolution(complaint: ComplaintFiled, outcome: str) -> ComplaintResolved:
    return ComplaintResolved(complaint_id=complaint.complaint_id,
                             application_id=complaint.application_id, outcome=outcome,
                             resolution="checked the household register",
                             resolved_by=AUDITOR, resolved_at=datetime.now(UTC))


async def _township_application(desk: Desk, **overrides: Any) -> str:
    resident = ResidentFactory("420117", birth_year=1960).next()
    return await desk.submit(resident, officer=CLERK_1, division_code=TOWNSHIP, **overrides)


async def _on_notice(desk: Desk, ids: list[str]) -> dict[str, Any]:
    return await desk.to_notice(ids, division=TOWNSHIP, reviewer=REVIEWER_1, recorder=CLERK_1)


async def test_a_township_application_goes_through_every_step_to_certification(
        siquan_env: Environment, desk: Desk) -> None:
    async with tap(siquan_env, "eligibility") as seen:
        resident = ResidentFactory("420117", birth_year=1960).next()
        application_id = await desk.submit(resident, officer=CLERK_1, division_code=TOWNSHIP,
                                           household=_facts(resident), evidence=False)
        scan = b"%PDF-1.4 death certificate of the only child"
        evidence = await desk.call("POST", f"/applications/{application_id}/evidence",
                                   CLERK_1, expect=201, data={"kind": "child_death_certificate"},
                                   files={"file": ("death.pdf", scan, "application/pdf")})
        await desk.call("POST", f"/applications/{application_id}/evidence", CLERK_1,
                        expect=201, data={"kind": "household_register"},
                        files={"file": ("hukou.pdf", b"%PDF-1.4 hukou", "application/pdf")})
        notice = await _on_notice(desk, [application_id])
        desk.advance_to(date.fromisoformat(notice["closes_on"]))
        approved = await desk.approve_notice(notice["notice_id"])
        await seen.wait_for("certification.granted.v1")
        await seen.wait_for("notice.closed.v1")
    kinds = [t.routing_key for t in seen.seen]
    assert kinds == ["application.submitted.v1", "application.community_reviewed.v1",
                     "application.reviewed.v1", "notice.published.v1", "notice.closed.v1",
                     "certification.granted.v1"]
    posted = seen.of_type("notice.published.v1")[0].body
    assert posted["closes_on"] == notice["closes_on"] and posted["notice_days"] == 7
    assert posted["entries"][0]["masked_name"] == "王**"
    assert posted["entries"][0]["masked_resident_id"].count("*") == 10
    granted = seen.of_type("certification.granted.v1")[0].body
    assert granted["township_code"] == TOWNSHIP and granted["effective_from"] == "2026-01-01"
    assert granted["notice_id"] == notice["notice_id"]
    assert approved.json()["certified"][0]["application_id"] == application_id
    assert evidence.json()["sha256"] == hashlib.sha256(scan).hexdigest()
    shown = await desk.show(application_id)
    assert shown["status"] == "certified" and shown["facts"]["family_type"] == "only_child_died"
    assert shown["evidence"][0]["sha256"] == hashlib.sha256(scan).hexdigest()
    download = await desk.call("GET", f"/evidence/{shown['evidence'][0]['id']}", AUDITOR,
                               expect=200)
    assert download.content == scan


async def test_facts_that_do_not_qualify_are_refused_with_the_reason(
        desk: Desk, snapshot: Snapshot) -> None:
    before = await snapshot()
    resident = ResidentFactory("420117", birth_year=1960).next()
    urban_one_child = {**_facts(resident), "family_type": "one_child",
                       "children": [{"birth_date": "1985-04-02", "sex": "male"}]}
    refused = await desk.call("POST", "/applications", CLERK_1, json=application(
        resident, division_code=TOWNSHIP, household=urban_one_child))
    assert refused.status_code == 422 and "family type one_child does not qualify" in refused.text
    assert await snapshot() == before


def desk_application(**overrides: Any) -> dict[str, Any]:
    return application(ResidentFactory("420117", birth_year=1960).next(),
                       division_code=TOWNSHIP, **overrides)


async def test_an_objection_during_the_notice_blocks_approval_until_it_is_resolved(
        siquan_env: Environment, desk: Desk, snapshot: Snapshot) -> None:
    objected, clear = (await _township_application(desk), await _township_application(desk))
    notice = await _on_notice(desk, [objected, clear])
    complaint = _objection(objected)
    await publish_as(siquan_env, complaint)

    async def blocked() -> bool:
        return bool((await desk.show(objected))["blocked_by_objection"])

    await eventually(blocked, timeout=30, what="the objection recorded")
    desk.advance_to(date.fromisoformat(notice["closes_on"]))
    first = await desk.approve_notice(notice["notice_id"])
    before = await snapshot()
    refused = await desk.call("POST", f"/applications/{objected}/approve", APPROVER,
                              expect=409)
    assert await snapshot() == before
    await publish_as(siquan_env, _resolution(complaint, "dismissed"))

    async def unblocked() -> bool:
        return not (await desk.show(objected))["blocked_by_objection"]

    await eventually(unblocked, timeout=30, what="the objection resolved")
    second = await desk.approve_notice(notice["notice_id"])
    assert [c["application_id"] for c in first.json()["certified"]] == [clear]
    assert first.json()["blocked"] == [{"application_id": objected,
                                        "reason": "an objection is open"}]
    assert "open objection" in refused.json()["detail"]
    assert [c["application_id"] for c in second.json()["certified"]] == [objected]


async def test_an_upheld_objection_rejects_the_application(siquan_env: Environment,
                                                           desk: Desk) -> None:
    application_id = await _township_application(desk)
    notice = await _on_notice(desk, [application_id])
    complaint = _objection(application_id)
    async with tap(siquan_env, "eligibility") as seen:
        await publish_as(siquan_env, complaint)
        await publish_as(siquan_env, _resolution(complaint, "upheld"))

        def by_objection() -> list[Any]:
            # the township's own review of it may still be on its way from the outbox
            return [t for t in seen.of_type("application.reviewed.v1")
                    if t.body["application_id"] == application_id
                    and t.body["stage"] == "notice_objection"]

        async def reviewed() -> bool:
            return bool(by_objection())

        await eventually(reviewed, timeout=30, what="the objection's review published")
        rejected = by_objection()
    desk.advance_to(date.fromisoformat(notice["closes_on"]))
    nothing = await desk.approve_notice(notice["notice_id"], expect=409)
    assert rejected[0].body["outcome"] == "rejected"
    shown = await desk.show(application_id)
    assert (shown["status"], shown["rejected_stage"]) == ("rejected", "notice_objection")
    assert "nothing to approve" in nothing.json()["detail"]


async def test_a_township_officer_is_refused_on_another_townships_application(
        desk: Desk, snapshot: Snapshot) -> None:
    application_id = await _township_application(desk)
    before = await snapshot()
    submit = await desk.call("POST", "/applications", CLERK_2,
                             json=desk_application())
    meeting = await desk.community_review([application_id], division=TOWNSHIP,
                                          officer=CLERK_2, expect=403)
    evidence = await desk.call("POST", f"/applications/{application_id}/evidence", CLERK_2,
                               data={"kind": "photo"}, files={"file": ("a.jpg", b"jpeg")})
    shown = await desk.call("GET", f"/applications/{application_id}", CLERK_2)
    await desk.community_review([application_id], division=TOWNSHIP, officer=CLERK_1)
    after_meeting = await snapshot()
    review = await desk.township_review([application_id], officer=REVIEWER_2, expect=403)
    assert submit.status_code == 403 and OTHER_TOWNSHIP in submit.json()["detail"]
    assert TOWNSHIP in meeting.json()["detail"]
    assert (evidence.status_code, shown.status_code) == (403, 403)
    assert OTHER_TOWNSHIP in review.json()["detail"]
    assert before["applications"] == after_meeting["applications"]
    assert await snapshot() == after_meeting


async def test_timeliness_is_the_share_of_decisions_within_the_deadline(desk: Desk) -> None:
    resident = ResidentFactory("420117", birth_year=1961)
    quick = await desk.submit(resident.next(), officer=CLERK_2, division_code=OTHER_TOWNSHIP)
    slow = await desk.submit(resident.next(), officer=CLERK_2, division_code=OTHER_TOWNSHIP)
    await desk.community_review([quick, slow], division=OTHER_TOWNSHIP, officer=CLERK_2)
    await desk.township_review([quick], officer=REVIEWER_2)
    notice = await desk.publish([quick], division=OTHER_TOWNSHIP, officer=REVIEWER_2)
    desk.advance_to(date.fromisoformat(notice["closes_on"]))
    await desk.approve_notice(notice["notice_id"])
    quick_month = desk.today().strftime("%Y-%m")
    desk.advance(40)
    await desk.township_review([], officer=REVIEWER_2, rejected={slow: "moved away"})
    slow_month = desk.today().strftime("%Y-%m")
    reports = [(await desk.call("GET", "/timeliness", AUDITOR, expect=200, params={
        "division_code": OTHER_TOWNSHIP, "period": month})).json()
        for month in sorted({quick_month, slow_month})]
    refused = await desk.call("GET", "/timeliness", REVIEWER_1, params={
        "division_code": OTHER_TOWNSHIP, "period": quick_month})
    assert sum(r["decided"] for r in reports) == 2
    assert sum(r["within_deadline"] for r in reports) == 1
    assert reports[0]["by_division"][0]["division_code"] == OTHER_TOWNSHIP
    assert reports[-1]["rate"] == (0.5 if quick_month == slow_month else 0.0)
    assert refused.status_code == 403
