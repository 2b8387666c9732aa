"""A certification's end by its program's rules is assessed again whenever what it reads
changes, on the in-memory unit of work: a policy version published for the program (its
age limit from the day it is in force, once this instance applies it), the household's
facts corrected in the register (an end already passed applied on the next pass, from
its day), a transfer to a county with its own version, a change of category."""

from __future__ import annotations

from datetime import date
from typing import Any

from siquan.contracts import eligibility_v1 as v1
from siquan.contracts.household import HouseholdFacts
from siquan.contracts.policy import Citation, PolicyCatalogue, load_catalogue, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges, layered
from siquan.eligibility.adapters.memory import FakeEligibilityWork
from siquan.eligibility.application import approvals, case_changes, households, notices
from siquan.eligibility.application import policy_register as register
from siquan.eligibility.application import reconfirmation as rc
from siquan.eligibility.domain.household import applicant_from_id
from siquan.eligibility.testing import APPROVER, PROGRAM, REVIEWER, Cycle, officer
from siquan.shared.testing.facts import evidence_file, qualifying_household, required_evidence

HEALTH = "one_child_health_fee"
POLICY_DRAFTER = officer("policy-1", "policy_officer")
POLICY_APPROVER = officer("policy-2", "policy_officer")
RECEIVING = officer("approver-420102", "county_approver", division="420102")
SHARED: dict[str, Any] = {
    "residence": "rural", "family_type": "one_child", "holds_one_child_certificate": True,
    "gave_up_second_child": False, "in_hardship": False,
    "on_minimum_living_allowance": False}


def _facts(resident_id: str, child_born: date) -> HouseholdFacts:
    return HouseholdFacts.model_validate({
        **SHARED, "children": [{"birth_date": child_born.isoformat(), "sex": "female"}],
        "applicant": applicant_from_id(resident_id).model_dump(),
        "applicant_role": "parent"})


async def _health_fee(cycle: Cycle, resident_id: str, child_born: date,
                      division: str = "420117", *, registered: bool = False) -> str:
    """A one-child household certified for the health fee; registered first unless
    `registered` (the fee is paid per household, to a household in the register)."""
    facts = _facts(resident_id, child_born)
    if not registered:
        await cycle.register_household(resident_id, facts)
    application_id = await cycle.submit(resident_id, program_code=HEALTH,
                                        category="standard", division_code=division,
                                        facts=facts)
    await cycle.community_review([application_id])
    await cycle.township_review([application_id])
    notice = (await cycle.run(notices.publish_notice, notices.PublishNotice(
        REVIEWER, HEALTH, "420117", [application_id]))).result
    cycle.advance_to(notice.closes_on)
    approved = await cycle.run(approvals.approve, approvals.Approve(APPROVER,
                                                                    notice_id=notice.id))
    return str(approved.result.certified[0]["certification_id"])


async def _step(cycle: Cycle, catalogue: PolicyCatalogue | None = None
                ) -> list[v1.CertificationRevoked]:
    """One deadlines pass, under the catalogue this instance applies."""
    uow: Any = FakeEligibilityWork(cycle.clock, cycle.store, terms=cycle.terms,
                                   policies=catalogue or load_catalogue())
    await rc.apply_end_rules(uow)
    await uow.commit()
    return [e for e in uow.published() if isinstance(e, v1.CertificationRevoked)]


async def _publish_limit_16(cycle: Cycle) -> None:
    """A version of the health fee paying only until the child is 16, in force from 1 July
    2026, drafted and approved in the policy register (published: applied by an instance
    once it loads it)."""
    base = load_catalogue().version(HEALTH, "national-2009").eligibility
    draft = (await cycle.run(register.draft_version, register.DraftPolicyVersion(
        POLICY_DRAFTER, HEALTH, "limit-16", date(2026, 7, 1), None,
        PolicyChanges(eligibility=base.model_copy(update={
            "child_age_below": 16, "end_rule": "until the month the only child turns 16"})),
        Citation(document="鄂卫健发〔2026〕30号", clause="保健费发放至子女年满16周岁")))).result
    await cycle.run(lambda vid, uow: register.approve_version(POLICY_APPROVER, vid, uow),
                    draft.version_id)


def _younger_limit(scope: str | None, effective_from: date) -> PolicyCatalogue:
    """The catalogue with a version of the health fee paying only until the child is 16."""
    base = load_catalogue().version(HEALTH, "national-2009")
    version = base.model_copy(update={
        "version": f"limit-16-{scope or 'all'}", "division_scope": scope,
        "effective_from": effective_from,
        "eligibility": base.eligibility.model_copy(update={"child_age_below": 16})})
    return PolicyCatalogue(versions=(*load_catalogue().versions, version))


async def test_a_published_version_lowering_the_age_limit_ends_from_its_first_day(
        cycle: Cycle) -> None:
    certification_id = await _health_fee(cycle, cycle.people.next(), date(2010, 2, 10))
    await _step(cycle)
    assert cycle.store.ends[certification_id][0] == date(2028, 3, 1)
    await _publish_limit_16(cycle)
    assert certification_id not in cycle.store.ends  # to be assessed again

    await _step(cycle)  # this instance does not apply the new version yet: not assessed
    assert certification_id not in cycle.store.ends
    applied = layered(seed_catalogue(), cycle.store.policy_versions)
    assert await _step(cycle, applied) == []
    # 16 on 2026-02-10, under a version in force from 1 July: ends on 1 July, not before
    ends_on, reason = cycle.store.ends[certification_id]
    assert ends_on == date(2026, 7, 1) and "the only child reached 16 on 2026-02-10" in reason
    cycle.advance_to(date(2026, 7, 1))
    [ended] = await _step(cycle, applied)
    assert (ended.certification_id, ended.effective_from) == (certification_id,
                                                              date(2026, 7, 1))


async def test_corrected_household_facts_end_it_and_an_end_already_passed_applies_next(
        cycle: Cycle) -> None:
    head, spouse = cycle.people.next(), cycle.people.next()
    facts = {**SHARED, "children": [{"birth_date": "2012-05-01", "sex": "female"}]}
    household = (await cycle.run(households.register, households.RegisterHousehold(
        REVIEWER, "420117001-0077", "420117001", facts,
        [households.NewMember(head, "陈建国", "head"),
         households.NewMember(spouse, "王秀英", "spouse")]))).result[0]
    certification_id = await _health_fee(cycle, head, date(2012, 5, 1), registered=True)
    await _step(cycle)
    assert cycle.store.ends[certification_id][0] == date(2030, 6, 1)

    # the register had the child's birth wrong: 18 on 20 January 2026, already passed
    await cycle.run(households.correct_facts, households.CorrectFacts(
        REVIEWER, household["household_id"],
        {**facts, "children": [{"birth_date": "2008-01-20", "sex": "female"}]}))
    assert certification_id not in cycle.store.ends
    [ended] = await _step(cycle)
    assert (ended.certification_id, ended.effective_from, ended.revoked_by) == (
        certification_id, date(2026, 2, 1), "system")
    assert "the only child reached 18 on 2026-01-20" in ended.reason
    assert cycle.store.certifications[certification_id].status == "revoked"


async def test_a_transfer_to_a_county_with_its_own_age_limit_ends_it_by_that_limit(
        cycle: Cycle) -> None:
    catalogue = _younger_limit("420102", date(2020, 1, 1))
    certification_id = await _health_fee(cycle, cycle.people.next(), date(2012, 8, 3))
    await _step(cycle, catalogue)
    assert cycle.store.ends[certification_id][0] == date(2030, 9, 1)  # 420117: 18

    transfer = (await cycle.run(case_changes.initiate_transfer, case_changes.InitiateTransfer(
        APPROVER, certification_id, "420102", "420102003", date(2026, 4, 1),
        "moved to her daughter's county"))).result
    assert cycle.store.ends[certification_id][0] == date(2030, 9, 1)  # pending: unchanged
    await cycle.run(case_changes.decide_transfer, case_changes.DecideTransfer(
        RECEIVING, transfer.id, accept=True))
    assert certification_id not in cycle.store.ends
    await _step(cycle, catalogue)
    assert cycle.store.ends[certification_id][0] == date(2028, 9, 1)  # 420102: 16


async def test_a_category_change_has_the_end_assessed_again(cycle: Cycle) -> None:
    resident_id = cycle.people.next()
    certification_id = await cycle.certified(resident_id)
    await _step(cycle)
    assert cycle.store.ends[certification_id] == (None, None)
    cycle.store.ends[certification_id] = (date(2026, 4, 1), "assessed on other facts")
    for kind in required_evidence(PROGRAM, "disability"):
        name, content, content_type = evidence_file(kind)
        await cycle.run(case_changes.add_evidence, case_changes.AddEvidence(
            APPROVER, certification_id, kind, name, content_type, content))
    disabled = qualifying_household(resident_id, PROGRAM, "disability", date(2026, 4, 1))
    await cycle.run(case_changes.change_category, case_changes.ChangeCategory(
        APPROVER, certification_id, "disability", date(2026, 4, 1),
        "the child's disability certified (残疾证)",
        {k: v for k, v in disabled.items() if k != "applicant"}))
    assert certification_id not in cycle.store.ends
    cycle.advance_to(date(2026, 4, 1))
    assert await _step(cycle) == []  # the stale end is not applied
    assert cycle.store.ends[certification_id] == (None, None)
    assert cycle.store.certifications[certification_id].status == "active"


async def test_an_approval_assesses_each_end_as_it_grants(cycle: Cycle) -> None:
    """The facts the rules read are at hand when the county approves: the certification
    is granted with its end, and the deadlines loop has nothing left to assess."""
    certification_id = await _health_fee(cycle, cycle.people.next(), date(2010, 2, 10))
    assert cycle.store.ends[certification_id] == (
        date(2028, 3, 1), cycle.store.ends[certification_id][1])
    assert "the only child reached 18 on 2028-02-10" in str(cycle.store.ends[certification_id][1])
    uow: Any = FakeEligibilityWork(cycle.clock, cycle.store, terms=cycle.terms,
                                   policies=load_catalogue())
    assert await uow.certification_ends.to_assess(100) == []


async def test_a_grant_under_a_version_not_applied_yet_is_left_to_the_loop(
        cycle: Cycle) -> None:
    await _publish_limit_16(cycle)
    certification_id = await _health_fee(cycle, cycle.people.next(), date(2010, 2, 10))
    assert certification_id not in cycle.store.ends  # its program's new version is pending
    await _step(cycle, layered(seed_catalogue(), cycle.store.policy_versions))
    assert cycle.store.ends[certification_id][0] == date(2026, 7, 1)
