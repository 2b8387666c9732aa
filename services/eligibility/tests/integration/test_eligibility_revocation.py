"""After certification: a death reported by public security revokes from the month after
it; an oversight finding suspends or revokes; the county reinstates; and the amount owed
for a period follows the policy version in force for it (a county raise applies from its
date)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import pytest

from siquan.contracts.oversight_v1 import FindingRaised
from siquan.contracts.policy import load_catalogue
from siquan.contracts.public_security_v1 import DeathReported
from siquan.contracts.topology import PARTNERS, PARTNERS_EXCHANGE
from siquan.shared.person import person_key, pseudonym
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.tools.desk import APPROVER, CLERK, Desk

pytestmark = pytest.mark.integration
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
SECRET = TEST_PERSON_KEY_SECRET
PEOPLE = ResidentFactory("420117", birth_year=1958)


def _finding(certification_id: str, decision: str) -> FindingRaised:
    return FindingRaised(finding_id=str(uuid.uuid4()), category="wrong_eligibility_decision",
                         rule="household_register_mismatch", certification_id=certification_id,
                         evidence=(str(uuid.uuid4()),), decision=decision,
                         reason="the household has a second child", raised_at=datetime(
                             2026, 6, 15, 8, tzinfo=UTC))


async def test_a_death_report_revokes_from_the_month_after_and_ends_live_applications(
        siquan_env: Environment, desk: Desk) -> None:
    resident = PEOPLE.next()
    _, certification_id = await desk.certify(resident)
    pending = await desk.submit(resident, program_code="reward_assistance_rural",
                                category="standard")
    async with tap(siquan_env, "eligibility") as seen:
        await publish_as(siquan_env, DeathReported(
            report_id="PS-2026-0001", person_key=person_key(SECRET, resident),
            date_of_death=date(2026, 4, 20)))
        revoked = await seen.wait_for("certification.revoked.v1")
        ended = await seen.wait_for("application.reviewed.v1")
    assert revoked[0].body["certification_id"] == certification_id
    assert revoked[0].body["effective_from"] == "2026-05-01"
    assert "death reported" in revoked[0].body["reason"]
    assert (ended[0].body["application_id"], ended[0].body["stage"]) == (pending,
                                                                         "death_reported")
    shown = await desk.certification(certification_id)
    assert shown["status"] == "revoked"
    assert shown["history"][-1]["effective_from"] == "2026-05-01"
    assert (await desk.show(pending))["status"] == "rejected"


async def test_a_finding_suspends_the_county_reinstates_and_a_finding_revokes(
        siquan_env: Environment, desk: Desk, snapshot: Snapshot) -> None:
    _, certification_id = await desk.certify(PEOPLE.next())
    async with tap(siquan_env, "eligibility") as seen:
        await publish_as(siquan_env, _finding(certification_id, "suspend"))
        suspended = await seen.wait_for("certification.suspended.v1")
        reinstated = await desk.call(
            "POST", f"/certifications/{certification_id}/reinstatement", APPROVER,
            expect=200, json={"reason": "the second child is adopted; rule does not apply"})
        await seen.wait_for("certification.reinstated.v1")
        await publish_as(siquan_env, _finding(certification_id, "revoke"))
        revoked = await seen.wait_for("certification.revoked.v1")
    before = await snapshot()
    again = await desk.call("POST", f"/certifications/{certification_id}/reinstatement",
                            APPROVER, json={"reason": "try"})
    assert suspended[0].body["decided_by"].startswith("finding:")
    assert reinstated.json()["status"] == "active"
    assert revoked[0].body["effective_from"] == "2026-06-15"
    assert again.status_code == 409 and "is revoked" in again.json()["detail"]
    assert await snapshot() == before
    history = (await desk.certification(certification_id))["history"]
    assert [h["status_to"] for h in history] == ["active", "suspended", "active", "revoked"]
    assert all(h["reason"] and h["actor"] for h in history)


async def test_a_clerk_cannot_suspend_a_certification(desk: Desk, snapshot: Snapshot
                                                     ) -> None:
    _, certification_id = await desk.certify(PEOPLE.next())
    before = await snapshot()
    refused = await desk.call("POST", f"/certifications/{certification_id}/suspension",
                              CLERK, json={"reason": "x"})
    assert refused.status_code == 403
    assert await snapshot() == before


async def test_the_amount_owed_follows_the_version_in_force_for_each_period(
        desk: Desk) -> None:
    catalogue = load_catalogue()
    raised = catalogue.in_force("reward_assistance_rural", date(2027, 1, 1), "420117")
    before = catalogue.in_force("reward_assistance_rural", date(2026, 1, 1), "420117")
    assert raised.effective_from == date(2027, 1, 1) and raised.version != before.version
    _, certification_id = await desk.certify(PEOPLE.next(),
                                             program_code="reward_assistance_rural",
                                             category="standard")
    this_year = await desk.certification(certification_id, period="2026")
    next_year = await desk.certification(certification_id, period="2027")
    assert this_year["policy_version"] == before.version
    assert (this_year["period"]["policy_version"], this_year["period"]["amount_fen"]) == (
        before.version, before.benefit("standard").amount_fen)
    assert (next_year["period"]["policy_version"], next_year["period"]["amount_fen"]) == (
        raised.version, raised.benefit("standard").amount_fen)
    assert next_year["period"]["amount_fen"] > this_year["period"]["amount_fen"]


async def test_partner_agencies_learn_of_a_grant_and_a_death_under_their_own_pseudonyms(
        siquan_env: Environment, desk: Desk, db: asyncpg.Connection) -> None:
    resident = PEOPLE.next()
    await desk.certify(resident)
    async with tap(siquan_env, "eligibility") as seen:
        await publish_as(siquan_env, DeathReported(
            report_id="PS-2026-0002", person_key=person_key(SECRET, resident),
            date_of_death=date(2026, 4, 20)))
        await seen.wait_for("certification.revoked.v1")
    names = {pseudonym(siquan_env.pseudonym_key(g.partner), resident): g.partner
             for g in PARTNERS}
    rows = await db.fetch("SELECT routing_key, body FROM outbox WHERE exchange = $1",
                          PARTNERS_EXCHANGE)
    mine = [(r["routing_key"], json.loads(bytes(r["body"]))) for r in rows
            if json.loads(bytes(r["body"]))["pseudonym"] in names]

    assert sorted(key for key, _ in mine) == [
        "civil_affairs.certification.ended.v1", "civil_affairs.certification.started.v1",
        "public_security.certification.ended.v1",
        "social_security.certification.ended.v1", "social_security.certification.started.v1"]
    assert all(key.startswith(names[body["pseudonym"]] + ".") for key, body in mine)
    assert len(names) == len(PARTNERS)  # four different pseudonyms of one person
    ended = dict(mine)["public_security.certification.ended.v1"]
    assert ended == {"pseudonym": ended["pseudonym"], "effective_from": "2026-05-01"}
    text = json.dumps([body for _, body in mine])
    assert resident not in text and person_key(SECRET, resident) not in text
