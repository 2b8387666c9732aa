"""The household register's HTTP API on the real database: answers are masked, repeated
requests are safe, bad input is a 4xx naming no personal data, and township reviewers act
only on their own township's households."""

from __future__ import annotations

from typing import Any

import pytest

from siquan.shared.testing.residents import ResidentFactory
from siquan.tools.desk import APPROVER, CLERK, REVIEWER, Desk

pytestmark = pytest.mark.integration
OTHER_TOWNSHIP = "reviewer-420117002-01"
FACTS = {"residence": "rural", "family_type": "one_child",
         "children": [{"sex": "female", "birth_date": "1990-05-01", "status": "alive"}]}


def _body(number: str, head: str, spouse: str) -> dict[str, Any]:
    return {"household_number": number, "division_code": "420117001", "facts": FACTS,
            "members": [{"resident_id": head, "name": "陈建国", "relationship": "head"},
                        {"resident_id": spouse, "name": "王秀英", "relationship": "spouse"}]}


async def test_a_household_is_registered_read_and_changed_within_its_township(
        desk: Desk) -> None:
    people = ResidentFactory("420117", birth_year=1961)
    head, spouse, child = people.next(), people.next(), people.next()
    body = _body("420117001-H0001", head, spouse)
    created = await desk.call("POST", "/households", REVIEWER, expect=201, json=body)
    again = await desk.call("POST", "/households", APPROVER, expect=200, json=body)
    household_id = created.json()["household_id"]
    assert again.json()["household_id"] == household_id
    for answer in (created, again):
        assert all(s not in answer.text for s in (head, spouse, "420117001-H0001", "陈建国"))

    member = {"resident_id": child, "name": "陈小红", "relationship": "child"}
    path = f"/households/{household_id}/members"
    await desk.call("POST", path, REVIEWER, expect=201, json=member)
    await desk.call("POST", path, REVIEWER, expect=200, json=member)
    removal = {"resident_id": child, "reason": "married out of the household"}
    removed = await desk.call("POST", f"{path}/removal", REVIEWER, expect=200, json=removal)
    repeated = await desk.call("POST", f"{path}/removal", REVIEWER, expect=200, json=removal)
    assert (removed.json()["status"], repeated.json()["status"]) == ("removed",
                                                                     "already_removed")
    shown = await desk.call("GET", f"/households/{household_id}", CLERK, expect=200)
    assert [m["relationship"] for m in shown.json()["members"]] == ["head", "spouse"]

    # another township's reviewer neither reads nor changes it; a clerk does not change it
    await desk.call("GET", f"/households/{household_id}", OTHER_TOWNSHIP, expect=403)
    await desk.call("POST", path, OTHER_TOWNSHIP, expect=403, json=member)
    await desk.call("POST", path, CLERK, expect=403, json=member)
    await desk.call("POST", "/households", OTHER_TOWNSHIP, expect=403,
                    json=_body("420117001-H0002", people.next(), people.next()))


async def test_bad_requests_are_refused_without_personal_data(desk: Desk) -> None:
    people = ResidentFactory("420117", birth_year=1962)
    head, spouse = people.next(), people.next()
    bad_id = head[:-1] + ("0" if head[-1] != "0" else "1")
    refused = [
        await desk.call("POST", "/households", REVIEWER, expect=422,
                        json=_body("420117001-H0003", bad_id, spouse)),
        await desk.call("POST", "/households", REVIEWER, expect=422, json={
            **_body("420117001-H0003", head, spouse), "facts": {**FACTS, "children": []}}),
        await desk.call("POST", "/households", REVIEWER, expect=422, json={
            **_body("420117001-H0003", head, spouse),
            "members": [{"resident_id": head, "name": "陈建国", "relationship": "spouse"}]}),
        await desk.call("GET", "/households/not-a-uuid", CLERK, expect=404),
        await desk.call("POST", "/households/00000000-0000-0000-0000-000000000000/members",
                        REVIEWER, expect=404, json={"resident_id": head, "name": "陈建国",
                                                    "relationship": "other"}),
    ]
    for answer in refused:
        assert all(s not in answer.text for s in (head, spouse, bad_id, "陈建国"))
    created = await desk.call("POST", "/households", REVIEWER, expect=201,
                              json=_body("420117001-H0003", head, spouse))
    other = await desk.call("POST", "/households", REVIEWER, expect=409,
                            json=_body("420117001-H0004", head, people.next()))
    assert "another household" in other.text
    await desk.call("POST", f"/households/{created.json()['household_id']}/members/removal",
                    REVIEWER, expect=409, json={"resident_id": head, "reason": "moved"})


async def test_a_change_of_category_restates_the_registers_and_the_spouses_facts(
        desk: Desk) -> None:
    """The head's only child, disabled, dies: the change of his certification's category,
    on the death certificate filed for it, restates the register's facts and those of
    his wife's application under review."""
    people = ResidentFactory("420117", birth_year=1960)
    head, spouse = people.next(), people.next()
    disabled = {"sex": "male", "birth_date": "1986-02-01", "status": "disabled",
                "disability_grade": 2}
    body = {**_body("420117001-H0077", head, spouse), "facts": {
        "residence": "rural", "family_type": "only_child_disabled", "children": [disabled],
        "holds_one_child_certificate": True}}
    household_id = (await desk.call("POST", "/households", REVIEWER, expect=201,
                                    json=body)).json()["household_id"]
    disability = {"category": "disability", "division_code": "420117001", "household": None}
    _, certification_id = await desk.certify(head, **disability)
    spouses = await desk.submit(spouse, **disability)
    died = {**disabled, "status": "died", "died_on": "2026-01-20", "disability_grade": None}
    change = {"certification_id": certification_id, "to_category": "death",
              "effective_from": "2026-02-01", "reason": "独生子女伤残后死亡",
              "household": {"family_type": "only_child_died", "children": [died]}}
    refused = await desk.call("POST", "/category-changes", APPROVER, expect=409, json=change)
    assert [e["field"] for e in refused.json()["errors"]] == [
        "evidence.child_death_certificate"]
    await desk.call("POST", f"/certifications/{certification_id}/evidence", CLERK,
                    expect=201, data={"kind": "child_death_certificate"},
                    files={"file": ("death.pdf", b"%PDF-1.4\n", "application/pdf")})
    await desk.call("POST", "/category-changes", APPROVER, expect=201, json=change)
    register = (await desk.call("GET", f"/households/{household_id}", CLERK,
                                expect=200)).json()["facts"]
    wife = (await desk.show(spouses))["facts"]
    for facts in (register, wife):
        assert (facts["family_type"], facts["children"]) == ("only_child_died", [died])
    # her own facts stay hers
    assert wife["applicant"]["birth_date"] == f"{spouse[6:10]}-{spouse[10:12]}-{spouse[12:14]}"
