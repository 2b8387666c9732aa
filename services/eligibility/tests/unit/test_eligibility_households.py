"""The household register on the in-memory unit of work: a household's facts are shared
by its members' applications (the register is their single source), and a per-household
benefit is certified once per household, never to both spouses; the register's commands
are scope-checked and safe to repeat."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from siquan.contracts import eligibility_v1 as v1
from siquan.contracts.household import HouseholdFacts, Person
from siquan.contracts.policy import load_catalogue
from siquan.eligibility.application import approvals, households, intake, notices
from siquan.eligibility.domain.errors import InvalidRequest, NotFound, OutOfScope, Refused
from siquan.eligibility.domain.household import applicant_from_id
from siquan.eligibility.domain.household_register import (
    PER_HOUSEHOLD_REFUSAL,
    UNREGISTERED_REFUSAL,
    Household,
    Member,
    check_once_per_household,
    facts_for,
)
from siquan.eligibility.testing import APPROVER, CLERK, REVIEWER, Cycle, officer
from siquan.shared.person import household_key

ONE_OFF = "consolation_one_off"
NUMBER = "420117001-0042"
SHARED: dict[str, Any] = {
    "residence": "rural", "family_type": "only_child_died",
    "children": [{"sex": "male", "birth_date": "1985-04-02", "status": "died",
                  "died_on": "2024-11-20"}],
    "holds_one_child_certificate": True, "gave_up_second_child": False,
    "in_hardship": False, "on_minimum_living_allowance": False}
OTHER_TOWNSHIP_REVIEWER = officer("reviewer-420117002", "township_reviewer",
                                  division="420117002")


def _couple(cycle: Cycle) -> tuple[str, str]:
    return cycle.people.next(), cycle.people.next()


async def _register(cycle: Cycle, head: str, spouse: str, *, by: Any = REVIEWER,
                    facts: dict[str, Any] | None = None) -> tuple[dict[str, Any], bool]:
    done = await cycle.run(households.register, households.RegisterHousehold(
        by, NUMBER, "420117001", facts or SHARED,
        [households.NewMember(head, "陈建国", "head"),
         households.NewMember(spouse, "王秀英", "spouse")]))
    return done.result


async def _apply(cycle: Cycle, resident_id: str, *, program: str = ONE_OFF,
                 category: str = "death", facts: HouseholdFacts | None = None) -> str:
    return await cycle.submit(resident_id, program_code=program, category=category,
                              division_code="420117001", facts=facts)


async def _closed_notice(cycle: Cycle, ids: list[str], program: str = ONE_OFF) -> str:
    await cycle.community_review(ids)
    await cycle.township_review(ids)
    done = await cycle.run(notices.publish_notice,
                           notices.PublishNotice(REVIEWER, program, "420117", ids))
    cycle.advance_to(done.result.closes_on)
    return done.result.id


def _stated(cycle: Cycle, resident_id: str, **changes: Any) -> HouseholdFacts:
    return HouseholdFacts.model_validate({
        **SHARED, "applicant": applicant_from_id(resident_id).model_dump(),
        "applicant_role": "parent", **changes})


async def test_both_spouses_applications_are_assessed_on_the_registers_facts(
        cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    await _register(cycle, head, spouse)
    first = await _apply(cycle, head)
    second = await _apply(cycle, spouse, facts=_stated(cycle, spouse))
    kept = [cycle.store.entered[i].facts for i in (first, second)]
    assert all(k is not None for k in kept)
    [register] = cycle.store.households.values()
    for name in ("residence", "family_type", "children", "holds_one_child_certificate"):
        assert kept[0][name] == kept[1][name] == register.facts[name]  # type: ignore[index]
    assert register.facts["children"][0]["died_on"] == "2024-11-20"
    # facts left out are the register's, with the other spouse named from the register
    assert kept[0]["spouse"] == kept[1]["applicant"]  # type: ignore[index]
    assert kept[0]["applicant"] != kept[1]["applicant"]  # type: ignore[index]


async def test_an_application_stating_other_household_facts_than_the_register_is_refused(
        cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    await _register(cycle, head, spouse)
    before = cycle.snapshot()
    disabled = [{"sex": "male", "birth_date": "1985-04-02", "status": "disabled",
                 "disability_grade": 2}]
    with pytest.raises(InvalidRequest, match=r"differ from the household register "
                                             r"\(family_type, children\)") as refused:
        await _apply(cycle, spouse, category="disability_grade_1_to_3", facts=_stated(
            cycle, spouse, family_type="only_child_disabled", children=disabled))
    assert spouse not in str(refused.value) and "王" not in str(refused.value)
    assert cycle.snapshot() == before


async def test_a_per_household_benefit_is_certified_once_never_to_both_spouses(
        cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    await _register(cycle, head, spouse)
    ids = [await _apply(cycle, head), await _apply(cycle, spouse)]
    notice_id = await _closed_notice(cycle, ids)
    before = cycle.snapshot()
    with pytest.raises(Refused, match=re.escape(PER_HOUSEHOLD_REFUSAL)) as refused:
        await cycle.run(approvals.approve, approvals.Approve(APPROVER, notice_id=notice_id))
    assert head not in str(refused.value) and spouse not in str(refused.value)
    assert cycle.snapshot() == before  # the batch is refused whole

    done = await cycle.run(approvals.approve, approvals.Approve(
        APPROVER, application_ids=[ids[0]]))
    [granted] = done.published(v1.CertificationGranted)
    assert granted.household_key == household_key(cycle.terms.person_key_secret, NUMBER)
    with pytest.raises(Refused, match=re.escape(PER_HOUSEHOLD_REFUSAL)):
        await cycle.run(approvals.approve, approvals.Approve(
            APPROVER, application_ids=[ids[1]]))
    assert [c.person_key for c in cycle.store.certifications.values()] == [cycle.key_of(head)]


async def test_a_per_person_benefit_is_certified_to_each_spouse_with_the_household_key(
        cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    await _register(cycle, head, spouse)
    ids = [await _apply(cycle, p, program="special_assistance") for p in (head, spouse)]
    notice_id = await _closed_notice(cycle, ids, "special_assistance")
    done = await cycle.run(approvals.approve, approvals.Approve(APPROVER, notice_id=notice_id))
    keys = {g.household_key for g in done.published(v1.CertificationGranted)}
    assert len(done.result.certified) == 2
    assert keys == {household_key(cycle.terms.person_key_secret, NUMBER)}


async def test_someone_outside_the_register_is_certified_without_a_household_key(
        cycle: Cycle) -> None:
    alone = cycle.people.next()
    application_id = await _apply(cycle, alone, program="special_assistance",
                                  facts=_stated(cycle, alone))
    notice_id = await _closed_notice(cycle, [application_id], "special_assistance")
    done = await cycle.run(approvals.approve, approvals.Approve(APPROVER, notice_id=notice_id))
    [granted] = done.published(v1.CertificationGranted)
    assert granted.household_key is None


async def test_spouses_outside_the_register_do_not_apply_for_a_per_household_benefit(
        cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    before = cycle.snapshot()
    for person in (head, spouse):
        with pytest.raises(InvalidRequest, match="incomplete") as refused:
            await _apply(cycle, person, facts=_stated(cycle, person))
        assert [(e["field"], e["type"]) for e in refused.value.errors or []] == [
            ("household", "missing")]
        assert person not in str(refused.value) and "王" not in str(refused.value)
    # without facts either: the household comes first among what is missing
    with pytest.raises(InvalidRequest) as bare:
        await _apply(cycle, head, facts=None)
    assert [e["field"] for e in bare.value.errors or []][:2] == [
        "household", "household.applicant_role"]
    assert cycle.snapshot() == before
    # a per-person benefit needs no register
    await _apply(cycle, head, program="special_assistance", facts=_stated(cycle, head))
    # registered as one household, they apply, and one of them is certified
    await _register(cycle, head, spouse)
    ids = [await _apply(cycle, p, facts=_stated(cycle, p)) for p in (head, spouse)]
    await _closed_notice(cycle, ids)
    await cycle.run(approvals.approve, approvals.Approve(APPROVER, application_ids=[ids[0]]))
    with pytest.raises(Refused, match=re.escape(PER_HOUSEHOLD_REFUSAL)):
        await cycle.run(approvals.approve, approvals.Approve(APPROVER, application_ids=[ids[1]]))


async def test_a_survey_row_for_a_per_household_benefit_outside_the_register_is_refused(
        cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    await _register(cycle, head, spouse)
    outsider = cycle.people.next()
    header = "resident_id,name,program_code,category,division_code,eligible_from\n"
    rows = "".join(f"{r},王秀英,{ONE_OFF},death,420117001,2026-01-01\n"
                   for r in (head, outsider))
    done = await cycle.run(intake.import_survey, intake.ImportSurvey(
        REVIEWER, "survey.csv", (header + rows).encode()))
    assert len(done.result.accepted) == 1  # the member, on the register's facts
    assert [(e.row, e.field) for e in done.result.errors][:1] == [(3, "household")]
    assert all(outsider not in e.error for e in done.result.errors)


async def test_an_application_entered_outside_the_register_is_not_certified(
        cycle: Cycle) -> None:
    """An application for a per-household benefit entered before the rule (or whose
    applicant left the register) is refused at approval with the reason."""
    head, spouse = _couple(cycle)
    await _register(cycle, head, spouse)
    application_id = await _apply(cycle, spouse)
    await cycle.run(households.remove_member, households.RemoveMember(
        REVIEWER, next(iter(cycle.store.households)), spouse, "moved out"))
    await _closed_notice(cycle, [application_id])
    with pytest.raises(Refused, match=re.escape(UNREGISTERED_REFUSAL)) as refused:
        await cycle.run(approvals.approve, approvals.Approve(
            APPROVER, application_ids=[application_id]))
    assert spouse not in str(refused.value)
    assert cycle.store.certifications == {}


async def test_registering_again_is_answered_with_the_household_on_record(
        cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    registered, created = await _register(cycle, head, spouse)
    again, created_again = await _register(cycle, head, spouse)
    assert (created, created_again) == (True, False)
    assert again == registered
    assert NUMBER not in repr(registered) and head not in repr(registered)
    assert [m["relationship"] for m in registered["members"]] == ["head", "spouse"]
    with pytest.raises(Refused, match="registered already"):
        await _register(cycle, head, cycle.people.next())


async def test_a_member_is_added_and_removed_once_and_the_head_leaves_last(
        cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    household, _ = await _register(cycle, head, spouse)
    child = cycle.people.next()
    add = households.AddMember(REVIEWER, household["household_id"],
                               households.NewMember(child, "陈小明", "other"))
    assert (await cycle.run(households.add_member, add)).result[1] is True
    assert (await cycle.run(households.add_member, add)).result[1] is False
    remove = households.RemoveMember(REVIEWER, household["household_id"], child, "moved out")
    after, removed = (await cycle.run(households.remove_member, remove)).result
    assert removed is True and len(after["members"]) == 2
    assert (await cycle.run(households.remove_member, remove)).result[1] is False
    with pytest.raises(Refused, match="leaves the household last"):
        await cycle.run(households.remove_member, households.RemoveMember(
            REVIEWER, household["household_id"], head, "moved out"))
    with pytest.raises(NotFound):
        await cycle.run(households.remove_member, households.RemoveMember(
            REVIEWER, household["household_id"], cycle.people.next(), "never lived here"))


async def test_a_person_is_in_one_household_and_a_household_has_one_head(
        cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    household, _ = await _register(cycle, head, spouse)
    with pytest.raises(Refused, match="another household"):
        await cycle.run(households.register, households.RegisterHousehold(
            REVIEWER, "420117001-0043", "420117001", SHARED,
            [households.NewMember(spouse, "王秀英", "head")]))
    with pytest.raises(InvalidRequest, match="exactly one head"):
        await cycle.run(households.add_member, households.AddMember(
            REVIEWER, household["household_id"],
            households.NewMember(cycle.people.next(), "陈建军", "head")))


async def test_register_commands_stay_in_the_officers_division(cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    with pytest.raises(OutOfScope):
        await _register(cycle, head, spouse, by=OTHER_TOWNSHIP_REVIEWER)
    household, _ = await _register(cycle, head, spouse)
    async with cycle.unit() as uow:
        with pytest.raises(OutOfScope):
            await households.show(uow, OTHER_TOWNSHIP_REVIEWER, household["household_id"])
        assert (await households.show(uow, CLERK, household["household_id"])) == household


async def test_facts_that_contradict_themselves_are_not_registered(cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    with pytest.raises(InvalidRequest, match="exactly one child"):
        await _register(cycle, head, spouse, facts={**SHARED, "children": []})
    assert cycle.store.households == {}


async def test_corrected_facts_apply_to_the_next_application(cycle: Cycle) -> None:
    head, spouse = _couple(cycle)
    household, _ = await _register(cycle, head, spouse)
    disabled = {**SHARED, "family_type": "only_child_disabled", "children": [
        {"sex": "male", "birth_date": "1985-04-02", "status": "disabled",
         "disability_grade": 4}]}
    await cycle.run(households.correct_facts, households.CorrectFacts(
        REVIEWER, household["household_id"], disabled))
    application_id = await _apply(cycle, head, category="disability_grade_4")
    kept = cycle.store.entered[application_id].facts
    assert kept is not None and kept["family_type"] == "only_child_disabled"


def _household(*members: Member) -> Household:
    return Household("h", NUMBER, "k" * 64, "420117", None, SHARED, members)


def test_facts_for_a_member_name_the_spouse_and_the_role() -> None:
    him = Member("a", "陈*", "x", "head", Person(birth_date=date(1958, 1, 1), sex="male"))
    her = Member("b", "王*", "y", "spouse", Person(birth_date=date(1960, 1, 1), sex="female"))
    facts = facts_for(_household(him, her), her, None)
    assert (facts.applicant, facts.spouse, facts.applicant_role) == (
        her.applicant, him.applicant, "parent")


def test_once_per_household_refuses_a_second_member_live_or_in_the_same_batch() -> None:
    with pytest.raises(Refused, match=re.escape(UNREGISTERED_REFUSAL)):
        check_once_per_household(ONE_OFF, None, set(), set())  # not registered
    check_once_per_household(ONE_OFF, "k", {("k", "other")}, {("j", ONE_OFF)})
    for live, approving in (({("k", ONE_OFF)}, set()), (set(), {("k", ONE_OFF)})):
        with pytest.raises(Refused, match=re.escape(PER_HOUSEHOLD_REFUSAL)):
            check_once_per_household(ONE_OFF, "k", live, approving)


def test_the_catalogue_says_which_programs_pay_once_per_household() -> None:
    catalogue = load_catalogue()
    assert catalogue.per_household("consolation_one_off")
    assert catalogue.per_household("second_child_waiver_reward")
    assert not catalogue.per_household("special_assistance")
    assert not catalogue.per_household("reward_assistance_rural")

