"""The application's review chain and separation of duties, without I/O."""

from datetime import UTC, date, datetime

import pytest

from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.errors import Refused

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def _submitted(by: str = "clerk") -> Application:
    return Application(id="a1", program_code="reward_assistance_rural", category="standard",
                       person_key="0" * 64, masked_name="张**",
                       masked_resident_id="1101**********002X", division_code="420117",
                       eligible_from=date(2026, 1, 1), submitted_by=by, submitted_at=NOW)


def test_a_favourable_review_then_another_officers_approval_certifies() -> None:
    application = _submitted()
    application.review("reviewer", "approved", "", NOW)
    application.approve("approver", NOW)
    assert application.status == "certified"
    assert (application.reviewed_by, application.approved_by) == ("reviewer", "approver")


def test_the_reviewer_cannot_also_approve() -> None:
    application = _submitted()
    application.review("reviewer", "approved", "", NOW)
    with pytest.raises(Refused, match="reviewed this application"):
        application.approve("reviewer", NOW)
    assert application.status == "reviewed" and application.approved_by is None


def test_the_clerk_who_entered_it_can_neither_review_nor_approve() -> None:
    application = _submitted(by="clerk")
    with pytest.raises(Refused):
        application.review("clerk", "approved", "", NOW)
    application.review("reviewer", "approved", "", NOW)
    with pytest.raises(Refused):
        application.approve("clerk", NOW)


def test_a_rejection_needs_a_reason_and_cannot_be_approved() -> None:
    application = _submitted()
    with pytest.raises(Refused, match="reason"):
        application.review("reviewer", "rejected", " ", NOW)
    application.review("reviewer", "rejected", "not rural household", NOW)
    with pytest.raises(Refused, match="rejected"):
        application.approve("approver", NOW)


def test_an_unreviewed_application_cannot_be_approved() -> None:
    with pytest.raises(Refused, match="submitted"):
        _submitted().approve("approver", NOW)
