"""Yearly re-confirmation (年度资格确认): the county renews certifications for the next
year between 1 October and the deadline (31 January with the default grace); at the
deadline every certification not renewed lapses, with an event, by the service's clock.
The officers who visit record it within their division; and an end by a program's rules
is assessed again when the household's facts are corrected in the register."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest

from siquan.shared.testing.environment import Environment
from siquan.shared.testing.messages import tap
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.desk import APPROVER, REVIEWER, Desk

pytestmark = pytest.mark.integration
Snapshot = Callable[[], Awaitable[dict[str, Any]]]
PEOPLE = ResidentFactory("420117", birth_year=1959)
VILLAGE_CLERK, TOWNSHIP_REVIEWER = "clerk-420117001-01", "reviewer-420117001-01"


async def _renew(desk: Desk, year: int, ids: list[str]) -> Any:
    return await desk.call("POST", "/certifications/renewals", APPROVER,
                           json={"year": year, "certification_ids": ids,
                                 "method": "in_person"})


async def test_only_certifications_not_renewed_lapse_at_the_deadline(
        siquan_env: Environment, desk: Desk, snapshot: Snapshot) -> None:
    _, renewed = await desk.certify(PEOPLE.next())
    _, forgotten = await desk.certify(PEOPLE.next())
    before = await snapshot()
    too_early = await _renew(desk, 2027, [renewed])
    assert too_early.status_code == 409 and "open from 2026-10-01" in too_early.text
    assert await snapshot() == before
    desk.advance_to(date(2026, 12, 1))
    async with tap(siquan_env, "eligibility") as seen:
        done = await _renew(desk, 2027, [renewed])
        await seen.wait_for("certification.renewed.v1")
        desk.advance_to(date(2027, 1, 31))
        on_deadline = await desk.certification(forgotten)
        desk.advance_to(date(2027, 2, 1))
        lapsed = await seen.wait_for("certification.lapsed.v1")
    assert done.json() == {"renewed": 1, "year": 2027}
    assert on_deadline["status"] == "active"
    assert [e.body["certification_id"] for e in lapsed] == [forgotten]
    assert lapsed[0].body["effective_from"] == "2027-02-01"
    assert lapsed[0].body["decided_by"] == "system"
    assert (await desk.certification(forgotten))["status"] == "lapsed"
    kept = await desk.certification(renewed)
    assert (kept["status"], kept["valid_until"]) == ("active", "2027-12-31")
    assert seen.of_type("certification.renewed.v1")[0].body["valid_until"] == "2027-12-31"


async def test_a_lapsed_certification_cannot_be_renewed_and_nothing_changes(
        desk: Desk, snapshot: Snapshot) -> None:
    lapsed = [c["id"] for c in (await desk.call(
        "GET", "/certifications", APPROVER, expect=200, params={"status": "lapsed"})).json()]
    before = await snapshot()
    refused = await _renew(desk, 2027, lapsed)
    assert refused.status_code == 409 and "is lapsed and cannot be renewed" in refused.text
    assert await snapshot() == before


async def test_a_person_whose_certification_lapsed_may_apply_again(desk: Desk) -> None:
    resident = PEOPLE.next()
    _, certification_id = await desk.certify(resident)
    valid_until = date.fromisoformat((await desk.certification(certification_id))[
        "valid_until"])
    desk.advance_to(date(valid_until.year + 1, 2, 1))

    async def lapsed() -> bool:
        return bool((await desk.certification(certification_id))["status"] == "lapsed")

    await eventually(lapsed, timeout=30, what="the certification lapsed")
    again = await desk.submit(resident)
    assert (await desk.show(again))["status"] == "submitted"


async def test_the_village_clerk_and_township_reviewer_confirm_within_their_township(
        desk: Desk, snapshot: Snapshot) -> None:
    """Those who visit record the re-confirmation, as themselves; an officer of another
    township or county is refused (403) with nothing changed and no personal data."""
    visited, seen_in_person = PEOPLE.next(), PEOPLE.next()
    ids = [(await desk.certify(r, division_code="420117001"))[1]
           for r in (visited, seen_in_person)]
    valid_until = date.fromisoformat((await desk.certification(ids[0]))["valid_until"])
    year = valid_until.year + 1
    desk.advance_to(date(valid_until.year, 12, 1))

    def visit(certification_id: str) -> dict[str, Any]:
        return {"year": year, "confirmations": [
            {"certification_id": certification_id, "method": "village_visit",
             "evidence_reference": "村委会走访记录 118"}]}
    before = await snapshot()
    for outsider in ("clerk-420117002-01", "reviewer-420117002-01", "clerk-420102-01"):
        refused = await desk.call("POST", "/reconfirmations", outsider, json=visit(ids[0]))
        assert refused.status_code == 403, outsider
        assert visited not in refused.text and "王秀英" not in refused.text
    assert await snapshot() == before
    await desk.call("POST", "/reconfirmations", VILLAGE_CLERK, expect=200,
                    json=visit(ids[0]))
    await desk.call("POST", "/reconfirmations", TOWNSHIP_REVIEWER, expect=200, json={
        "year": year, "confirmations": [{"certification_id": ids[1],
                                         "method": "in_person"}]})
    listed = {i["certification_id"]: i for i in (await desk.call(
        "GET", f"/reconfirmations/{year}", VILLAGE_CLERK, expect=200)).json()["items"]}
    assert [(listed[i]["status"], listed[i]["method"], listed[i]["confirmed_by"])
            for i in ids] == [("confirmed", "village_visit", VILLAGE_CLERK),
                              ("confirmed", "in_person", TOWNSHIP_REVIEWER)]
    assert visited not in str(listed) and seen_in_person not in str(listed)


async def test_corrected_household_facts_end_a_certification_whose_end_has_passed(
        siquan_env: Environment, desk: Desk, db: Any) -> None:
    """A one-child household's health fee, assessed to end when the child turns 18; the
    register's birth date of the child is corrected to one 18 years past: the next
    deadlines pass ends the certification from the month after that birthday (or its
    start, when later)."""
    head, spouse = PEOPLE.next(), PEOPLE.next()
    today = desk.today()
    facts = {"residence": "rural", "family_type": "one_child",
             "children": [{"sex": "female", "birth_date": f"{today.year - 10}-03-01",
                           "status": "alive"}],
             "holds_one_child_certificate": True, "gave_up_second_child": False,
             "in_hardship": False, "on_minimum_living_allowance": False}
    household_id = (await desk.call("POST", "/households", REVIEWER, expect=201, json={
        "household_number": f"420117001-E{head[-6:]}", "division_code": "420117001",
        "facts": facts, "members": [
            {"resident_id": head, "name": "陈建国", "relationship": "head"},
            {"resident_id": spouse, "name": "王秀英", "relationship": "spouse"}]})
                    ).json()["household_id"]
    _, certification_id = await desk.certify(
        head, program_code="one_child_health_fee", category="standard",
        division_code="420117001", household=None)
    assessed = date(today.year + 8, 4, 1)

    async def end() -> date | None:
        row = await db.fetchrow("SELECT end_assessed, ends_on FROM certifications"
                                " WHERE id = $1::uuid", certification_id)
        return row["ends_on"] if row["end_assessed"] else None
    assert await end() == assessed  # by the register's facts, as the county approved

    born = date(today.year - 19, 5, 20)
    async with tap(siquan_env, "eligibility") as seen:
        await desk.call("PUT", f"/households/{household_id}/facts", REVIEWER, expect=200,
                        json={**facts, "children": [{**facts["children"][0],
                                                     "birth_date": born.isoformat()}]})
        [revoked] = await seen.wait_for("certification.revoked.v1")
    started = date.fromisoformat((await desk.certification(certification_id))[
        "effective_from"])
    assert (revoked.body["certification_id"], revoked.body["effective_from"]) == (
        certification_id, max(date(born.year + 18, 6, 1), started).isoformat())
    assert f"the only child reached 18 on {born.replace(year=born.year + 18)}" in (
        revoked.body["reason"])
