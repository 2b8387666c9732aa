"""Mandatory criteria and evidence on the in-memory unit of work: an application without
the facts its program's criteria read is incomplete (refused, with each missing fact
named), an applicant who is not the resident ID's person is refused, and nothing is
approved before the evidence the program requires for the category is on file."""

from __future__ import annotations

from datetime import date

import pytest

from siquan.contracts.household import HouseholdFacts
from siquan.contracts.policy import load_catalogue
from siquan.contracts.types import gb11643_check_digit
from siquan.eligibility.application import approvals, intake
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.eligibility.domain.household import MISSING, assess
from siquan.eligibility.testing import APPROVER, CLERK, Cycle, full_facts
from siquan.shared.testing.facts import required_evidence
from siquan.shared.testing.residents import ResidentFactory


def _form(resident_id: str, facts: HouseholdFacts | None) -> intake.SubmitApplication:
    return intake.SubmitApplication(CLERK, resident_id, "王秀英", "special_assistance",
                                    "death", "420117", date(2026, 1, 1), facts)


async def test_an_application_without_facts_is_incomplete_with_each_fact_named(
        cycle: Cycle) -> None:
    before = cycle.snapshot()
    resident = cycle.people.next()
    with pytest.raises(InvalidRequest, match="incomplete") as refused:
        await cycle.run(intake.submit_application, _form(resident, None))
    assert [(e["field"], e["type"]) for e in refused.value.errors or []] == [
        ("household.applicant_role", "missing"), ("household.residence", "missing"),
        ("household.family_type", "missing"), ("household.children", "missing")]
    assert resident not in str(refused.value) and cycle.snapshot() == before


async def test_a_fact_left_to_its_default_is_missing(cycle: Cycle) -> None:
    resident = cycle.people.next()
    stated = full_facts(resident).model_dump(exclude={"applicant_role"})
    facts = HouseholdFacts.model_validate(stated)
    with pytest.raises(InvalidRequest) as refused:
        await cycle.run(intake.submit_application, _form(resident, facts))
    assert [e["field"] for e in refused.value.errors or []] == ["household.applicant_role"]


async def test_facts_that_do_not_qualify_are_refused_by_the_criterion(cycle: Cycle) -> None:
    resident = cycle.people.next()
    facts = HouseholdFacts.model_validate({
        **full_facts(resident).model_dump(), "family_type": "one_child",
        "children": [{"birth_date": "1990-01-01", "sex": "male", "status": "alive"}]})
    with pytest.raises(InvalidRequest, match="family type one_child does not qualify"
                       ) as refused:
        await cycle.run(intake.submit_application, _form(resident, facts))
    assert {e["type"] for e in refused.value.errors or []} == {"criterion"}


async def test_the_applicant_is_the_resident_ids_person(cycle: Cycle) -> None:
    resident = cycle.people.next()
    facts = HouseholdFacts.model_validate({
        **full_facts(resident).model_dump(),
        "applicant": {"birth_date": "1950-01-01", "sex": "female"}})
    with pytest.raises(InvalidRequest, match=r"household\.applicant: .* resident ID"):
        await cycle.run(intake.submit_application, _form(resident, facts))


def test_the_resident_ids_age_is_checked_against_the_criteria() -> None:
    young = ResidentFactory("420117", birth_year=1980).next()  # 46 in 2026; 49 needed
    problems = assess(load_catalogue(), "special_assistance", "death", date(2026, 1, 1),
                      "420117", full_facts(young), young)
    assert [field for field, _message in problems] == ["eligible_from"]
    # owed from the first day of a month, on or within a month after the 49th birthday
    # (the resident ID's birth date: 2029, or January 2030 for one born in December)
    birth = date(int(young[6:10]), int(young[10:12]), int(young[12:14]))
    owed = date.fromisoformat(problems[0][1].removeprefix("owed from "))
    turns_49 = birth.replace(year=birth.year + 49)
    assert owed.day == 1 and 0 <= (owed - turns_49).days <= 31, (birth, owed)
    assert all(message != MISSING for _field, message in problems)


async def test_approval_without_the_required_evidence_is_refused_with_what_is_missing(
        cycle: Cycle) -> None:
    application_id = await cycle.submit(evidence=False)
    notice = await cycle.to_notice([application_id])
    cycle.advance_to(notice.closes_on)
    named = approvals.Approve(APPROVER, application_ids=[application_id])
    with pytest.raises(Refused, match="child_death_certificate") as refused:
        await cycle.run(approvals.approve, named)
    assert [e["field"] for e in refused.value.errors or []] == [
        "evidence.household_register", "evidence.child_death_certificate"]
    assert cycle.store.certifications == {}
    await cycle.file_evidence(application_id)
    done = await cycle.run(approvals.approve, named)
    assert [c["application_id"] for c in done.result.certified] == [application_id]


async def test_a_notice_entry_without_its_evidence_waits_and_the_others_are_approved(
        cycle: Cycle) -> None:
    complete = await cycle.submit()
    lacking = await cycle.submit(evidence=False)
    notice = await cycle.to_notice([complete, lacking])
    cycle.advance_to(notice.closes_on)
    done = await cycle.run(approvals.approve, approvals.Approve(APPROVER, notice_id=notice.id))
    assert [c["application_id"] for c in done.result.certified] == [complete]
    assert done.result.blocked == [{"application_id": lacking, "reason": "required evidence "
                                    "is not on file: household_register, "
                                    "child_death_certificate"}]


def test_the_helpers_file_every_kind_any_version_requires() -> None:
    assert required_evidence("special_assistance", "disability") == [
        "household_register", "child_disability_card"]


def _with_check_digit(first17: str) -> str:
    return first17 + gb11643_check_digit(first17)


async def test_a_resident_id_whose_birth_date_is_no_date_is_refused(cycle: Cycle) -> None:
    odd = _with_check_digit("42011719621399001")  # month 13: a well-formed ID, no date
    facts = full_facts(cycle.people.next())
    with pytest.raises(InvalidRequest, match="birth date") as refused:
        await cycle.run(intake.submit_application, _form(odd, facts))
    assert [e["field"] for e in refused.value.errors or []] == ["resident_id"]
