"""The policy register over HTTP on the real broker and database: a version drafted by one
policy officer, refused to the same officer, approved by another, published as a signed
event and applied by the service without restart; what is refused changes nothing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg
import pytest

from siquan.contracts.policy import seed_catalogue
from siquan.shared.testing.environment import Environment
from siquan.shared.testing.facts import qualifying_household
from siquan.shared.testing.messages import tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.desk import AUDITOR, CLERK, Desk

pytestmark = pytest.mark.integration
DRAFTER, CHECKER = "policy-420000-01", "policy-420000-02"
PROGRAM = "special_assistance"
CITATION = {"document": "鄂卫健发〔2040〕3号", "clause": "特别扶助金标准提高至每人每月 250 元"}


def _label() -> str:
    return f"raise-{uuid.uuid4().hex[:8]}"


def _body(day: date, **changes: Any) -> dict[str, Any]:
    return {"program_code": PROGRAM, "version": _label(), "effective_from": day.isoformat(),
            "changes": changes, "citation": CITATION}


async def _counts(db: asyncpg.Connection) -> tuple[int, int, int]:
    drafts = await db.fetchval("SELECT count(*) FROM policy_drafts")
    published = await db.fetchval("SELECT count(*) FROM policy_versions")
    outbox = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE routing_key = 'policy_version.published.v1'")
    return drafts, published, outbox


async def test_a_draft_approved_by_another_officer_is_published_signed_and_applied(
        siquan_env: Environment, desk: Desk, db: asyncpg.Connection) -> None:
    day = date(2040, 1, 1)
    base = seed_catalogue().in_force(PROGRAM, day, "420117")
    raised = base.benefit("death").amount_fen + 4_000
    body = _body(day, amounts_fen={"death": raised})
    drafted = (await desk.call("POST", "/policy-versions", DRAFTER, expect=201,
                               json=body)).json()
    before = await _counts(db)
    own = await desk.call("POST", f"/policy-versions/{drafted['version_id']}/approve",
                          DRAFTER)
    assert own.status_code == 409
    assert own.json()["detail"] == "the policy officer who drafted a version may not approve it"
    assert await _counts(db) == before
    async with tap(siquan_env, "eligibility") as seen:
        approved = (await desk.call("POST", f"/policy-versions/{drafted['version_id']}/approve",
                                    CHECKER, expect=200)).json()
        [message] = await seen.wait_for("policy_version.published.v1")
    assert (approved["status"], approved["base_version"]) == ("published", base.version)
    event = message.body
    assert message.headers["x-siquan-signature"]
    assert (event["drafted_by"], event["approved_by"]) == (DRAFTER, CHECKER)
    assert {k: v for k, v in event["changes"].items() if v is not None} == {
        "amounts_fen": {"death": raised}}
    assert {b["category"]: b["amount_fen"] for b in event["policy"]["benefits"]} == {
        **{b.category: b.amount_fen for b in base.benefits}, "death": raised}
    assert event["policy"]["fiscal_shares"] == base.fiscal_shares.model_dump()

    async def applied() -> bool:
        catalogue = (await desk.call("GET", "/policy-catalogue", AUDITOR, expect=200)).json()
        return any(v["version"] == body["version"] and v["source"] == "published"
                   and v["amounts_fen"]["death"] == raised for v in catalogue["versions"])

    await eventually(applied, timeout=30, what="the version applied without restart")
    again = await desk.call("POST", f"/policy-versions/{drafted['version_id']}/approve",
                            CHECKER)
    assert again.status_code == 409 and "already published" in again.json()["detail"]


async def test_a_fiscal_share_change_is_a_small_version(desk: Desk) -> None:
    day = date(2041, 1, 1)
    base = seed_catalogue().in_force(PROGRAM, day, "420117").fiscal_shares
    body = _body(day, fiscal_shares={"central": base.central + 500,
                                     "county": base.county - 500})
    drafted = (await desk.call("POST", "/policy-versions", DRAFTER, expect=201,
                               json=body)).json()
    approved = (await desk.call("POST", f"/policy-versions/{drafted['version_id']}/approve",
                                CHECKER, expect=200)).json()
    assert approved["changes"] == {"fiscal_shares": {"central": base.central + 500,
                                                     "county": base.county - 500}}
    shares = approved["policy"]["fiscal_shares"]
    assert (shares["central"], shares["county"]) == (base.central + 500, base.county - 500)
    assert (shares["provincial"], shares["municipal"]) == (base.provincial, base.municipal)


@pytest.mark.parametrize(("changes", "status", "reason"), [
    ({}, 422, "at least one field"),
    ({"fiscal_shares": {"central": 9_999}}, 422, "10000 basis points"),
    ({"amounts_fen": {"widow": 100}}, 422, "no category widow"),
    ({"amounts_fen": {"death": -5}}, 422, "greater than or equal to 0"),
    ({"unknown_field": 1}, 422, "Extra inputs are not permitted"),
])
async def test_a_bad_draft_is_refused_with_its_reason_and_changes_nothing(
        desk: Desk, db: asyncpg.Connection, changes: dict[str, Any], status: int,
        reason: str) -> None:
    before = await _counts(db)
    refused = await desk.call("POST", "/policy-versions", DRAFTER,
                              json=_body(date(2042, 1, 1), **changes))
    assert refused.status_code == status, refused.text
    assert reason in refused.text
    assert await _counts(db) == before


async def test_who_may_draft_and_which_labels_and_days_are_refused(
        desk: Desk, db: asyncpg.Connection) -> None:
    before = await _counts(db)
    body = _body(date(2043, 1, 1), notice_days=9)
    clerk = await desk.call("POST", "/policy-versions", CLERK, json=body)
    seed = seed_catalogue().in_force(PROGRAM, date(2043, 1, 1), "420117")
    seed_label = await desk.call("POST", "/policy-versions", DRAFTER,
                                 json={**body, "version": seed.version})
    too_early = await desk.call("POST", "/policy-versions", DRAFTER,
                                json={**body, "effective_from": seed.effective_from.isoformat()})
    unknown = await desk.call("POST", f"/policy-versions/{uuid.uuid4()}/approve", CHECKER)
    assert clerk.status_code == 403
    assert seed_label.status_code == 422 and "seed version" in seed_label.text
    assert too_early.status_code == 422 and "after" in too_early.text
    assert unknown.status_code == 404
    assert await _counts(db) == before
    await desk.call("POST", "/policy-versions", DRAFTER, expect=201, json=body)
    twice = await desk.call("POST", "/policy-versions", DRAFTER, json=body)
    assert twice.status_code == 409 and "already has a version" in twice.text


async def test_the_history_starts_with_the_seed_files(desk: Desk) -> None:
    items = (await desk.call("GET", "/policy-versions", AUDITOR, expect=200,
                             params={"program_code": PROGRAM})).json()["items"]
    seeds = [i["version"] for i in items if i["status"] == "seed"]
    assert seeds == [v.version for v in seed_catalogue().versions if v.program_code == PROGRAM]
    assert items[:len(seeds)] == [i for i in items if i["status"] == "seed"]


async def test_a_published_age_limit_ends_certifications_from_the_day_it_is_in_force(
        siquan_env: Environment, desk: Desk, db: asyncpg.Connection) -> None:
    """A certification's end was assessed under the seed's limit (the child turning 18);
    a version published later lowering it to 14 from 1 July has the end assessed again:
    the certification ends on 1 July, the first day the new limit is in force."""
    program, in_force = "one_child_health_fee", date(2026, 7, 1)
    resident = ResidentFactory("420117", birth_year=1982).next()
    household = qualifying_household(resident, program, "standard", date(2026, 1, 1))
    household["children"] = [{**household["children"][0], "birth_date": "2012-05-10"}]
    await desk.register_household(resident, household)  # paid once per household
    _, certification_id = await desk.certify(resident, program_code=program,
                                             category="standard", household=household)

    async def end() -> date | None:
        row = await db.fetchrow("SELECT end_assessed, ends_on FROM certifications"
                                " WHERE id = $1::uuid", certification_id)
        return row["ends_on"] if row["end_assessed"] else None
    assert await eventually(end, timeout=30, what="the seed's end") == date(2030, 6, 1)

    base = seed_catalogue().in_force(program, in_force, "420117").eligibility
    lowered = base.model_copy(update={"child_age_below": 14,
                                      "end_rule": "until the month the only child turns 14"})
    drafted = (await desk.call("POST", "/policy-versions", DRAFTER, expect=201, json={
        "program_code": program, "version": _label(), "effective_from": in_force.isoformat(),
        "changes": {"eligibility": lowered.model_dump(mode="json")},
        "citation": {"document": "鄂卫健发〔2026〕30号", "clause": "保健费发放至子女年满14周岁"},
    })).json()
    await desk.call("POST", f"/policy-versions/{drafted['version_id']}/approve", CHECKER,
                    expect=200)

    async def assessed_again() -> date | None:
        day = await end()
        return day if day != date(2030, 6, 1) else None
    assert await eventually(assessed_again, timeout=30,
                            what="the end assessed under the new version") == in_force
    assert (await desk.certification(certification_id))["status"] == "active"
    async with tap(siquan_env, "eligibility") as seen:
        desk.advance_to(in_force)
        [revoked] = await seen.wait_for("certification.revoked.v1")
    assert (revoked.body["certification_id"], revoked.body["effective_from"]) == (
        certification_id, in_force.isoformat())
    assert "the only child reached 14 on 2026-05-10" in revoked.body["reason"]
