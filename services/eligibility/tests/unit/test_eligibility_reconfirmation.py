"""The yearly re-confirmation (年审) and the programs' end rules, on the in-memory unit of
work: each confirmation keeps how, by whom and the evidence; bad input is refused with
nothing changed; the lapse follows each program's grace days; the deadlines step ends a
certification on the day its program's age limit or end date says, with the reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from siquan.contracts import eligibility_v1 as v1
from siquan.contracts.household import Child, HouseholdFacts
from siquan.contracts.policy import PolicyCatalogue, load_catalogue
from siquan.eligibility.adapters.memory import FakeEligibilityWork
from siquan.eligibility.application import approvals, certifications, notices
from siquan.eligibility.application import reconfirmation as rc
from siquan.eligibility.domain.errors import InvalidRequest, OutOfScope, Refused
from siquan.eligibility.domain.household import applicant_from_id
from siquan.eligibility.domain.reconfirmation import program_end, scheduled_end
from siquan.eligibility.testing import (
    APPROVER,
    OTHER_TOWNSHIP_CLERK,
    PROGRAM,
    REVIEWER,
    TOWNSHIP_CLERK,
    Cycle,
    officer,
)

HEALTH = "one_child_health_fee"
TOWNSHIP_REVIEWER = officer("reviewer-420117001", "township_reviewer", division="420117001")


def _confirm(year: int, *items: tuple[str, str, str | None]) -> rc.Reconfirm:
    return rc.Reconfirm(APPROVER, year, [rc.Confirmation(i, m, e)  # type: ignore[arg-type]
                                         for i, m, e in items])


async def _health_fee(cycle: Cycle, child_born: date) -> str:
    """A one-child household certified for the health fee from 2026-01-01."""
    resident_id = cycle.people.next()
    facts = HouseholdFacts(applicant=applicant_from_id(resident_id), residence="rural",
                           family_type="one_child",
                           children=(Child(birth_date=child_born, sex="female"),),
                           holds_one_child_certificate=True, applicant_role="parent")
    await cycle.register_household(resident_id, facts)  # the fee is paid per household
    application_id = await cycle.submit(resident_id, program_code=HEALTH, category="standard",
                                        facts=facts)
    await cycle.community_review([application_id])
    await cycle.township_review([application_id])
    notice = (await cycle.run(notices.publish_notice, notices.PublishNotice(
        REVIEWER, HEALTH, "420117", [application_id]))).result
    cycle.advance_to(notice.closes_on)
    approved = await cycle.run(approvals.approve, approvals.Approve(APPROVER,
                                                                    notice_id=notice.id))
    return str(approved.result.certified[0]["certification_id"])


async def test_a_confirmation_keeps_how_by_whom_and_the_evidence(cycle: Cycle) -> None:
    first, second = await cycle.certified(), await cycle.certified()
    cycle.advance_to(date(2026, 12, 1))
    done = await cycle.run(rc.reconfirm, _confirm(
        2027, (first, "village_visit", " 走访记录 118 "), (second, "survival_check", None)))
    assert done.result == 2
    renewed = done.published(v1.CertificationRenewed)
    assert [(e.certification_id, e.decided_by, e.valid_until) for e in renewed] == [
        (first, APPROVER.id, date(2027, 12, 31)), (second, APPROVER.id, date(2027, 12, 31))]
    kept = [(r["certification_id"], r["year"], r["method"], r["evidence_reference"],
             r["confirmed_by"]) for r in cycle.store.reconfirmations]
    assert kept == [(first, 2027, "village_visit", "走访记录 118", APPROVER.id),
                    (second, 2027, "survival_check", None, APPROVER.id)]


async def test_the_village_clerk_and_township_reviewer_confirm_in_their_township(
        cycle: Cycle) -> None:
    ids: list[str] = []
    for _ in range(2):
        application_id = await cycle.submit(division_code="420117001")
        notice = await cycle.to_notice([application_id])
        cycle.advance_to(notice.closes_on)
        done = await cycle.run(approvals.approve, approvals.Approve(APPROVER,
                                                                    notice_id=notice.id))
        ids.append(done.result.certified[0]["certification_id"])
    cycle.advance_to(date(2026, 12, 1))
    before = cycle.snapshot()
    with pytest.raises(OutOfScope):
        await cycle.run(rc.reconfirm, rc.Reconfirm(OTHER_TOWNSHIP_CLERK, 2027, [
            rc.Confirmation(ids[0], "village_visit", "走访记录 7")]))
    assert cycle.snapshot() == before
    await cycle.run(rc.reconfirm, rc.Reconfirm(TOWNSHIP_CLERK, 2027, [
        rc.Confirmation(ids[0], "village_visit", "走访记录 7")]))
    await cycle.run(rc.reconfirm, rc.Reconfirm(TOWNSHIP_REVIEWER, 2027, [
        rc.Confirmation(ids[1], "in_person", None)]))
    assert [(r["certification_id"], r["method"], r["confirmed_by"])
            for r in cycle.store.reconfirmations] == [
        (ids[0], "village_visit", TOWNSHIP_CLERK.id), (ids[1], "in_person",
                                                        TOWNSHIP_REVIEWER.id)]


@pytest.mark.parametrize(("item", "error"), [
    (("in_person", ""), "evidence reference"),
    (("phone_call", None), "method is one of"),
])
async def test_bad_input_is_refused_and_nothing_changes(
        cycle: Cycle, item: tuple[str, str | None], error: str) -> None:
    certification_id = await cycle.certified()
    cycle.advance_to(date(2026, 12, 1))
    before = cycle.snapshot()
    with pytest.raises(InvalidRequest, match=error):
        await cycle.run(rc.reconfirm, _confirm(2027, (certification_id, *item)))
    assert cycle.snapshot() == before


async def test_one_certification_that_may_not_be_renewed_refuses_the_batch(
        cycle: Cycle) -> None:
    good, early = await cycle.certified(), await cycle.certified()
    cycle.advance_to(date(2026, 12, 1))
    await cycle.run(rc.reconfirm, _confirm(2027, (early, "in_person", None)))
    before = cycle.snapshot()
    with pytest.raises(Refused, match="already valid until 2027-12-31"):
        await cycle.run(rc.reconfirm, _confirm(2027, (good, "in_person", None),
                                               (early, "in_person", None)))
    assert cycle.snapshot() == before


async def test_the_lapse_follows_each_programs_grace_days(cycle: Cycle) -> None:
    cycle.terms = replace(cycle.terms, renewal_grace_by_program={PROGRAM: 10})
    certification_id = await cycle.certified()
    cycle.advance_to(date(2027, 1, 10))
    on_deadline = await cycle.step(certifications.lapse_unrenewed)
    cycle.advance_to(date(2027, 1, 11))
    after = await cycle.step(certifications.lapse_unrenewed)
    assert on_deadline.result == 0 and on_deadline.uow.published() == []
    [lapsed] = after.published(v1.CertificationLapsed)
    assert (lapsed.certification_id, lapsed.effective_from) == (certification_id,
                                                                date(2027, 1, 11))
    assert "2027-01-10" in lapsed.reason


async def test_a_renewal_in_a_programs_shorter_grace_is_refused_after_it(
        cycle: Cycle) -> None:
    cycle.terms = replace(cycle.terms, renewal_grace_by_program={PROGRAM: 5})
    certification_id = await cycle.certified()
    cycle.advance_to(date(2027, 1, 6))
    with pytest.raises(Refused, match="open from 2026-10-01 to 2027-01-05"):
        await cycle.run(rc.reconfirm, _confirm(2027, (certification_id, "in_person", None)))


async def test_the_health_fee_ends_the_month_after_the_only_child_turns_18(
        cycle: Cycle) -> None:
    ending = await _health_fee(cycle, date(2008, 6, 15))
    staying = await _health_fee(cycle, date(2015, 6, 1))
    assert cycle.store.ends[ending][0] == date(2026, 7, 1)  # assessed as approved
    assessed = await cycle.step(rc.apply_end_rules)
    assert assessed.result == 0 and assessed.uow.published() == []
    assert cycle.store.ends[staying] == (date(2033, 7, 1), cycle.store.ends[staying][1])
    cycle.advance_to(date(2026, 6, 30))
    assert (await cycle.step(rc.apply_end_rules)).uow.published() == []
    cycle.advance_to(date(2026, 7, 1))
    done = await cycle.step(rc.apply_end_rules)
    [ended] = done.published(v1.CertificationRevoked)
    assert (ended.certification_id, ended.effective_from, ended.revoked_by) == (
        ending, date(2026, 7, 1), "system")
    assert "the only child reached 18 on 2026-06-15" in ended.reason
    assert "until the month the only child turns 18" in ended.reason
    assert cycle.store.certifications[ending].status == "revoked"
    assert cycle.store.certifications[staying].status == "active"
    assert (await cycle.step(rc.apply_end_rules)).uow.published() == []


async def test_a_certification_without_an_age_limit_gets_no_end(cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    await cycle.step(rc.apply_end_rules)
    assert cycle.store.ends[certification_id] == (None, None)


def test_an_age_limit_reads_the_resident_ids_birth_date_without_facts() -> None:
    criteria = load_catalogue().version("pension_contribution_subsidy",
                                        "national-2009").criteria
    end = scheduled_end(criteria, date(1966, 5, 20), None)
    assert end is not None and end[0] == date(2026, 6, 1)
    assert "age limit 60 on 2026-05-20" in end[1]


def _ending(catalogue: PolicyCatalogue, program: str, until: date) -> PolicyCatalogue:
    return PolicyCatalogue(versions=tuple(
        v.model_copy(update={"effective_until": until}) if v.program_code == program else v
        for v in catalogue.versions))


async def test_a_programs_end_date_ends_its_certifications_on_that_day(
        cycle: Cycle) -> None:
    certification_id = await cycle.certified()
    ended_catalogue = _ending(load_catalogue(), PROGRAM, date(2026, 9, 1))
    assert program_end(ended_catalogue, PROGRAM) == date(2026, 9, 1)
    assert program_end(load_catalogue(), PROGRAM) is None

    async def step_on(day: date) -> list[v1.CertificationRevoked]:
        cycle.advance_to(day)
        uow: Any = FakeEligibilityWork(cycle.clock, cycle.store, terms=cycle.terms,
                                       policies=ended_catalogue)
        await rc.apply_end_rules(uow)
        await uow.commit()
        return [e for e in uow.published() if isinstance(e, v1.CertificationRevoked)]

    assert await step_on(date(2026, 8, 31)) == []
    [ended] = await step_on(date(2026, 9, 1))
    assert (ended.certification_id, ended.effective_from) == (certification_id,
                                                              date(2026, 9, 1))
    assert f"the program {PROGRAM} ended on 2026-09-01" == ended.reason
