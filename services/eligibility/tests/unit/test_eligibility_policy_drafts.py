"""A policy draft: resolved against the versions published by then, approved only by
another officer, once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from siquan.contracts.policy import Citation, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges
from siquan.eligibility.domain.errors import InvalidRequest, Refused
from siquan.eligibility.domain.policy_draft import SELF_APPROVAL, PolicyDraft

PROGRAM, DIVISION = "special_assistance", "420117"
NOW = datetime(2026, 9, 18, 9, tzinfo=UTC)


def _draft(label: str, day: date, death_fen: int) -> PolicyDraft:
    return PolicyDraft(
        version_id=f"id-{label}", program_code=PROGRAM, version=label, effective_from=day,
        division_code=None, changes=PolicyChanges(amounts_fen={"death": death_fen}),
        citation=Citation(document="鄂卫健发〔2026〕12号", clause="提高标准"),
        drafted_by="policy-1", drafted_at=NOW)


def test_the_drafter_may_not_approve_and_nothing_is_resolved() -> None:
    draft = _draft("raise", date(2026, 7, 1), 25_000)
    with pytest.raises(Refused, match=SELF_APPROVAL):
        draft.approve("policy-1", NOW, [])
    assert (draft.status, draft.policy, draft.approved_by) == ("drafted", None, None)


def test_approval_resolves_against_the_version_in_force_and_publishes_once() -> None:
    draft = _draft("raise", date(2026, 7, 1), 25_000)
    approved = draft.approve("policy-2", NOW, [])
    base = seed_catalogue().in_force(PROGRAM, date(2026, 7, 1), DIVISION)
    assert (approved.status, approved.approved_by, approved.base_version) == (
        "published", "policy-2", base.version)
    assert approved.policy is not None and approved.policy.benefit("death").amount_fen == 25_000
    with pytest.raises(Refused, match="already published"):
        approved.approve("policy-3", NOW, [])


def test_a_later_draft_builds_on_what_was_published_meanwhile() -> None:
    first = _draft("raise-a", date(2026, 7, 1), 25_000).approve("policy-2", NOW, [])
    assert first.policy is not None
    second = PolicyDraft(**{**_draft("shares", date(2026, 9, 1), 0).__dict__,
                            "changes": PolicyChanges(fiscal_shares={"central": 5_500,
                                                                    "county": 1_000})})
    approved = second.approve("policy-2", NOW, [first.policy])
    assert approved.base_version == "raise-a"
    assert approved.policy is not None
    assert approved.policy.benefit("death").amount_fen == 25_000
    assert approved.policy.fiscal_shares.central == 5_500


def test_a_draft_the_published_versions_cannot_take_is_refused_with_the_reason() -> None:
    first = _draft("raise-a", date(2026, 7, 1), 25_000).approve("policy-2", NOW, [])
    assert first.policy is not None
    twin = _draft("raise-b", date(2026, 7, 1), 26_000)
    with pytest.raises(InvalidRequest, match="after raise-a"):
        twin.approve("policy-2", NOW, [first.policy])
