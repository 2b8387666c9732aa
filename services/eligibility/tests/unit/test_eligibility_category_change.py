"""A change of category on the in-memory unit of work: it is decided on the evidence the
policy names for the new category, filed for the certification, and on the household
facts the change implies, which become the facts on record for the certification's
application and, for a registered household, for the register and the other members'
applications."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from siquan.contracts import eligibility_v1 as v1
from siquan.eligibility.application import approvals, case_changes, households, notices
from siquan.eligibility.domain.errors import InvalidRequest, OutOfScope, Refused
from siquan.eligibility.testing import APPROVER, CLERK, REVIEWER, Cycle, officer
from siquan.shared.testing.facts import evidence_file

PROGRAM = "special_assistance"
FROM = date(2026, 4, 1)
DISABLED: dict[str, Any] = {
    "residence": "rural", "family_type": "only_child_disabled",
    "children": [{"sex": "male", "birth_date": "1985-04-02", "status": "disabled",
                  "disability_grade": 2}],
    "holds_one_child_certificate": True, "gave_up_second_child": False,
    "in_hardship": False, "on_minimum_living_allowance": False}
DIED_CHILD = {"sex": "male", "birth_date": "1985-04-02", "status": "died",
              "died_on": "2026-03-08", "disability_grade": None}
"""The only child after the change, as the facts keep it."""
DIED: dict[str, Any] = {
    "family_type": "only_child_died",
    "children": [{"sex": "male", "birth_date": "1985-04-02", "status": "died",
                  "died_on": "2026-03-08"}]}


async def _certified(cycle: Cycle, resident_id: str, *, registered: bool = False) -> str:
    """`registered`: a registered member's application, on the register's facts."""
    facts: dict[str, Any] = {"facts": None} if registered else {}
    application_id = await cycle.submit(resident_id, category="disability",
                                        division_code="420117001", **facts)
    await cycle.community_review([application_id])
    await cycle.township_review([application_id])
    done = await cycle.run(notices.publish_notice, notices.PublishNotice(
        REVIEWER, PROGRAM, "420117", [application_id]))
    cycle.advance_to(done.result.closes_on)
    approved = await cycle.run(approvals.approve, approvals.Approve(
        APPROVER, application_ids=[application_id]))
    return str(approved.result.certified[0]["certification_id"])


def _change(certification_id: str, facts: dict[str, Any] | None = None,
            by: Any = APPROVER) -> case_changes.ChangeCategory:
    return case_changes.ChangeCategory(by, certification_id, "death", FROM,
                                       "独生子女伤残后死亡", facts if facts is not None else DIED)


async def _file(cycle: Cycle, certification_id: str, kind: str = "child_death_certificate",
                by: Any = CLERK) -> dict[str, Any]:
    name, content, content_type = evidence_file(kind)
    done = await cycle.run(case_changes.add_evidence, case_changes.AddEvidence(
        by, certification_id, kind, name, content_type, content))
    return done.result


async def test_a_change_without_the_new_categorys_evidence_is_refused_with_what_is_missing(
        cycle: Cycle) -> None:
    resident = cycle.people.next()
    certification_id = await _certified(cycle, resident)
    before = cycle.snapshot()
    with pytest.raises(Refused, match="child_death_certificate") as refused:
        await cycle.run(case_changes.change_category, _change(certification_id))
    assert type(refused.value) is Refused  # 409, not a malformed request
    assert refused.value.errors == [{"field": "evidence.child_death_certificate",
                                     "type": "missing_evidence",
                                     "msg": "death requires it"}]
    assert resident not in str(refused.value) and "王" not in str(refused.value)
    assert cycle.snapshot() == before
    assert cycle.store.certifications[certification_id].category == "disability"


async def test_facts_that_do_not_fit_the_new_category_are_refused_by_field(
        cycle: Cycle) -> None:
    resident = cycle.people.next()
    certification_id = await _certified(cycle, resident)
    await _file(cycle, certification_id)
    before = cycle.snapshot()
    # the facts on record (a disabled child) do not make a death
    with pytest.raises(InvalidRequest, match="do not qualify for death") as refused:
        await cycle.run(case_changes.change_category, _change(certification_id, {}))
    assert {e["field"] for e in refused.value.errors or []} == {"category"}
    # a date of death left out is named, never the input
    with pytest.raises(InvalidRequest, match="not valid") as invalid:
        await cycle.run(case_changes.change_category, _change(certification_id, {
            **DIED, "children": [{**DIED["children"][0], "died_on": None}]}))
    assert "1985-04-02" not in str(invalid.value)
    assert cycle.snapshot() == before


async def test_a_change_with_its_evidence_restates_the_facts_of_the_whole_household(
        cycle: Cycle) -> None:
    head, spouse = cycle.people.next(), cycle.people.next()
    await cycle.run(households.register, households.RegisterHousehold(
        REVIEWER, "420117001-0077", "420117001", DISABLED,
        [households.NewMember(head, "陈建国", "head"),
         households.NewMember(spouse, "王秀英", "spouse")]))
    certification_id = await _certified(cycle, head, registered=True)
    spouses = await cycle.submit(spouse, category="disability", division_code="420117001",
                                 evidence=False, facts=None)
    filed = await _file(cycle, certification_id)
    assert filed["size"] > 0
    done = await cycle.run(case_changes.change_category, _change(certification_id))
    assert (done.result.from_category, done.result.to_category) == ("disability", "death")
    assert cycle.store.certifications[certification_id].category == "death"
    [register] = cycle.store.households.values()
    assert (register.facts["family_type"], register.facts["children"]) == (
        "only_child_died", [DIED_CHILD])
    application_id = cycle.store.certifications[certification_id].application_id
    for kept in (cycle.store.entered[application_id].facts,
                 cycle.store.entered[spouses].facts):
        assert kept is not None
        assert (kept["family_type"], kept["children"]) == ("only_child_died", [DIED_CHILD])
    # the head's own facts stay his, the spouse's hers
    assert cycle.store.entered[application_id].facts["applicant"] != (  # type: ignore[index]
        cycle.store.entered[spouses].facts["applicant"])  # type: ignore[index]
    [event] = done.published(v1.CertificationCategoryChanged)
    assert event.to_category == "death"


async def test_evidence_is_filed_for_a_live_certification_of_the_officers_division_only(
        cycle: Cycle) -> None:
    certification_id = await _certified(cycle, cycle.people.next())
    with pytest.raises(InvalidRequest, match="does not ask for this kind"):
        await _file(cycle, certification_id, "marriage_certificate")
    with pytest.raises(OutOfScope, match="acts for 420102"):
        await _file(cycle, certification_id,
                    by=officer("clerk-420102", "clerk", division="420102"))
    cycle.store.certifications[certification_id].status = "revoked"
    with pytest.raises(Refused, match="revoked"):
        await _file(cycle, certification_id)
