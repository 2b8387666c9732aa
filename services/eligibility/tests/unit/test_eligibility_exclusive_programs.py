"""Programs the policy declares exclusive: a person certified in one may not apply for the
other (the contraception reward ends where rural reward-and-assistance starts), and of
two applications pending at once only the first approved is certified."""

from __future__ import annotations

from datetime import date

import pytest

from siquan.contracts.policy import seed_catalogue
from siquan.eligibility.application import approvals, notices
from siquan.eligibility.application.intake import exclusive_refusal, holdings_by_person
from siquan.eligibility.application.ports import Holding
from siquan.eligibility.domain.errors import Refused
from siquan.eligibility.testing import APPROVER, REVIEWER, Cycle
from siquan.shared.testing.residents import ResidentFactory

PERSON, OTHER = "1" * 64, "2" * 64


def test_exclusion_is_declared_and_mutual() -> None:
    catalogue = seed_catalogue()
    assert catalogue.exclusive_with("contraception_reward") == {"reward_assistance_rural"}
    assert catalogue.exclusive_with("reward_assistance_rural") == {"contraception_reward"}
    assert catalogue.exclusive_with("special_assistance") == frozenset()


def test_a_certification_in_an_exclusive_program_refuses_with_the_reason() -> None:
    held = [Holding(PERSON, "reward_assistance_rural", "certification", "c-1")]
    reason = exclusive_refusal(seed_catalogue(), "contraception_reward",
                               holdings_by_person(held)[PERSON])
    assert reason == ("this person is certified in reward_assistance_rural, which the "
                      "policy declares exclusive with contraception_reward")
    assert PERSON not in reason


def test_nothing_else_refuses() -> None:
    catalogue = seed_catalogue()
    pending = [Holding(PERSON, "reward_assistance_rural", "application", "a-1")]
    someone_else = [Holding(OTHER, "reward_assistance_rural", "certification", "c-2")]
    compatible = [Holding(PERSON, "special_assistance", "certification", "c-3")]
    for held in (pending, someone_else, compatible):
        own = holdings_by_person(held).get(PERSON, [])
        assert exclusive_refusal(catalogue, "contraception_reward", own) is None


async def test_of_two_pending_exclusive_applications_only_one_is_certified(
        cycle: Cycle) -> None:
    resident = ResidentFactory("420117", birth_year=1966).next()
    ids = {}
    # each owed on its own dates (the reward until 60, the rural pension after), both
    # pending at once
    starts = {"reward_assistance_rural": date(2027, 1, 1),
              "contraception_reward": date(2025, 6, 1)}
    for program, eligible_from in starts.items():
        ids[program] = await cycle.submit(resident, program_code=program, category="standard",
                                          eligible_from=eligible_from)
    await cycle.community_review(list(ids.values()))
    await cycle.township_review(list(ids.values()))
    closes = []
    for program, application_id in ids.items():
        done = await cycle.run(notices.publish_notice, notices.PublishNotice(
            REVIEWER, program, "420117", [application_id]))
        closes.append(done.result)
    cycle.advance_to(max(n.closes_on for n in closes))
    first = await cycle.run(approvals.approve, approvals.Approve(
        APPROVER, notice_id=closes[0].id))
    with pytest.raises(Refused, match="blocked"):
        await cycle.run(approvals.approve, approvals.Approve(APPROVER, notice_id=closes[1].id))
    assert len(first.result.certified) == 1
    assert [c.program_code for c in cycle.store.certifications.values()] == [
        "reward_assistance_rural"]
    assert cycle.store.applications[ids["contraception_reward"]].status == "on_notice"
