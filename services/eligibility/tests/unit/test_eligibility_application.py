"""The application's path through the cycle and the separation of duties, without I/O."""

from datetime import UTC, date, datetime

import pytest

from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.errors import Refused

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def _submitted(by: str = "clerk", township: str | None = "420117001") -> Application:
    return Application(id="a1", program_code="reward_assistance_rural", category="standard",
                       person_key="0" * 64, masked_name="张**",
                       masked_resident_id="1101**********002X", division_code="420117",
                       township_code=township, eligible_from=date(2026, 1, 1),
                       submitted_by=by, submitted_at=NOW)


def _closed_notice(reviewer: str = "reviewer", recorder: str = "recorder") -> Application:
    application = _submitted()
    application.record_community_review(recorder, "r1", True, "", NOW)
    application.review(reviewer, "approved", "", NOW)
    application.post_on_notice("n1", "reward_assistance_rural", "420117001")
    application.close_notice()
    return application


def test_the_whole_chain_then_another_officers_approval_certifies() -> None:
    application = _closed_notice()
    application.approve("approver", NOW)
    assert application.status == "certified"
    assert (application.reviewed_by, application.approved_by) == ("reviewer", "approver")
    assert application.decided_at == NOW


def test_the_reviewer_cannot_also_approve() -> None:
    application = _closed_notice(reviewer="reviewer")
    with pytest.raises(Refused, match="reviewed this application"):
        application.approve("reviewer", NOW)
    assert application.status == "notice_closed" and application.approved_by is None


def test_the_clerk_and_the_recorder_cannot_approve() -> None:
    application = _closed_notice(recorder="recorder")
    with pytest.raises(Refused, match="entered this application"):
        application.approve("clerk", NOW)
    with pytest.raises(Refused, match="community review"):
        application.approve("recorder", NOW)


def test_the_clerk_who_entered_it_cannot_review_it() -> None:
    application = _submitted(by="clerk")
    application.record_community_review("clerk", "r1", True, "", NOW)
    with pytest.raises(Refused, match="entered this application"):
        application.review("clerk", "approved", "", NOW)


def test_a_township_review_needs_the_community_review_first() -> None:
    with pytest.raises(Refused, match="needs it community_reviewed"):
        _submitted().review("reviewer", "approved", "", NOW)


def test_a_failed_community_review_rejects_with_its_reason() -> None:
    application = _submitted()
    with pytest.raises(Refused, match="reason"):
        application.record_community_review("recorder", "r1", False, " ", NOW)
    application.record_community_review("recorder", "r1", False, "not resident", NOW)
    assert (application.status, application.rejected_stage) == ("rejected", "community")
    assert application.review_reason == "not resident"


def test_an_application_on_notice_cannot_be_approved_until_the_notice_closes() -> None:
    application = _submitted()
    application.record_community_review("recorder", "r1", True, "", NOW)
    application.review("reviewer", "approved", "", NOW)
    application.post_on_notice("n1", "reward_assistance_rural", "420117")
    with pytest.raises(Refused, match="still on public notice"):
        application.approve("approver", NOW)


def test_an_open_objection_blocks_approval() -> None:
    application = _closed_notice()
    application.open_objections = 1
    with pytest.raises(Refused, match="open objection"):
        application.approve("approver", NOW)
    assert application.status == "notice_closed"


def test_a_notice_takes_only_its_program_and_division() -> None:
    application = _submitted(township="420117001")
    application.record_community_review("recorder", "r1", True, "", NOW)
    application.review("reviewer", "approved", "", NOW)
    with pytest.raises(Refused, match="not special_assistance"):
        application.post_on_notice("n1", "special_assistance", "420117")
    with pytest.raises(Refused, match="not to 420117002"):
        application.post_on_notice("n1", "reward_assistance_rural", "420117002")
    application.post_on_notice("n1", "reward_assistance_rural", "420117")
    assert application.status == "on_notice"


def test_the_county_rejects_a_closed_notice_entry_with_a_reason() -> None:
    application = _closed_notice()
    with pytest.raises(Refused, match="reason"):
        application.reject_at_county("approver", "", NOW)
    application.reject_at_county("approver", "income above the line", NOW)
    assert (application.status, application.rejected_stage, application.decided_by) == (
        "rejected", "county", "approver")


def test_an_outside_end_applies_only_to_a_live_application() -> None:
    application = _closed_notice()
    assert application.end("death_reported", "system", "died", NOW)
    assert not application.end("notice_objection", "auditor", "upheld", NOW)
    assert application.rejected_stage == "death_reported"
