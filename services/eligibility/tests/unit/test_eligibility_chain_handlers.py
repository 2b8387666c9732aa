"""The review chain on the in-memory unit of work: community review, township review,
the public notice and approval; batches all or nothing, separation of duties, and no
application certified twice."""

from __future__ import annotations

from datetime import timedelta

import pytest

from siquan.contracts import eligibility_v1 as v1
from siquan.eligibility.application import approvals, notices, reviews
from siquan.eligibility.domain.errors import OutOfScope, Refused
from siquan.eligibility.testing import (
    APPROVER,
    CLERK,
    PROGRAM,
    RECORDER,
    REVIEWER,
    TOWNSHIP_CLERK,
    Cycle,
    officer,
)
from siquan.shared.auth import Officer


def _meeting(cycle: Cycle, ids: list[str], *, failed: dict[str, str] | None = None,
             division: str = "420117", by: Officer = RECORDER
             ) -> reviews.RecordCommunityReview:
    return reviews.RecordCommunityReview(by, division, cycle.clock.today(), 9,
                                         reviews.Verdicts(ids, failed or {}))


def _township(ids: list[str], by: Officer = REVIEWER) -> reviews.ReviewApplications:
    return reviews.ReviewApplications(by, reviews.Verdicts(ids, {}))


def _notice(notice_id: str, by: Officer = APPROVER, **extra: dict[str, str]
            ) -> approvals.Approve:
    return approvals.Approve(by, notice_id=notice_id, **extra)  # type: ignore[arg-type]


async def test_a_community_review_passes_and_fails_and_publishes_one_part(
        cycle: Cycle) -> None:
    passed, failed = await cycle.submit(), await cycle.submit()
    done = await cycle.run(reviews.record_community_review,
                           _meeting(cycle, [passed], failed={failed: "not resident"}))
    [part] = done.published(v1.CommunityReviewRecorded)
    assert {(e.application_id, e.outcome) for e in part.entries} == {(passed, "passed"),
                                                                     (failed, "failed")}
    assert cycle.store.applications[passed].status == "community_reviewed"
    assert cycle.store.applications[failed].status == "rejected"


async def test_a_community_review_before_the_meeting_is_refused(cycle: Cycle) -> None:
    application_id = await cycle.submit()
    command = reviews.RecordCommunityReview(
        RECORDER, "420117", cycle.clock.today() + timedelta(days=1), 9,
        reviews.Verdicts([application_id], {}))
    with pytest.raises(Refused, match="cannot be recorded before it"):
        await cycle.run(reviews.record_community_review, command)
    assert cycle.store.community_reviews == {}


async def test_a_meeting_in_one_township_cannot_review_anothers_application(
        cycle: Cycle) -> None:
    elsewhere = await cycle.submit(by=TOWNSHIP_CLERK, division_code="420117001")
    before = cycle.snapshot()
    with pytest.raises(Refused, match="where the meeting was held"):
        await cycle.run(reviews.record_community_review,
                        _meeting(cycle, [elsewhere], division="420117002"))
    assert cycle.snapshot() == before


async def test_a_township_review_batch_is_refused_whole_when_one_is_not_ready(
        cycle: Cycle) -> None:
    ready, not_ready = await cycle.submit(), await cycle.submit()
    await cycle.community_review([ready])
    before = cycle.snapshot()
    with pytest.raises(Refused, match=not_ready):
        await cycle.run(reviews.review, _township([ready, not_ready]))
    assert cycle.snapshot() == before


async def test_the_clerk_who_entered_an_application_cannot_review_it(cycle: Cycle) -> None:
    application_id = await cycle.submit(by=CLERK)
    await cycle.community_review([application_id])
    with pytest.raises(Refused, match="entered this application"):
        await cycle.run(reviews.review, _township([application_id], by=CLERK))
    assert cycle.store.applications[application_id].status == "community_reviewed"


async def test_a_notice_posts_every_waiting_application_of_the_division(cycle: Cycle) -> None:
    ids = [await cycle.submit() for _ in range(3)]
    await cycle.community_review(ids)
    await cycle.township_review(ids)
    done = await cycle.run(notices.publish_notice,
                           notices.PublishNotice(REVIEWER, PROGRAM, "420117"))
    [posted] = done.published(v1.NoticePublished)
    assert done.result.entries == posted.total_entries == 3
    assert {cycle.store.applications[i].status for i in ids} == {"on_notice"}
    assert done.result.closes_on == done.result.published_on + timedelta(days=7)


async def test_a_notice_with_nothing_waiting_is_refused(cycle: Cycle) -> None:
    with pytest.raises(Refused, match="is waiting for a notice"):
        await cycle.run(notices.publish_notice,
                        notices.PublishNotice(REVIEWER, PROGRAM, "420117"))
    assert cycle.store.notices == {}


async def test_an_open_notice_cannot_be_approved(cycle: Cycle) -> None:
    notice = await cycle.to_notice([await cycle.submit()])
    with pytest.raises(Refused, match="posted until"):
        await cycle.run(approvals.approve, _notice(notice.id))
    assert cycle.store.notices[notice.id].status == "open"


async def test_approving_a_due_notice_closes_it_and_grants_each_entry(cycle: Cycle) -> None:
    ids, notice = await cycle.closed_notice(2)
    done = await cycle.run(approvals.approve, _notice(notice.id))
    granted = done.published(v1.CertificationGranted)
    assert sorted(g.application_id for g in granted) == sorted(ids)
    assert {(g.reviewed_by, g.approved_by) for g in granted} == {(REVIEWER.id, APPROVER.id)}
    assert [c.notice_id for c in done.published(v1.NoticeClosed)] == [notice.id]
    assert len(done.result.certified) == 2 and len(cycle.store.certifications) == 2
    assert {cycle.store.applications[i].status for i in ids} == {"certified"}


async def test_approving_an_application_by_id_closes_its_due_notice_first(
        cycle: Cycle) -> None:
    [application_id], notice = await cycle.closed_notice()
    done = await cycle.run(approvals.approve,
                           approvals.Approve(APPROVER, application_ids=[application_id]))
    assert [c.notice_id for c in done.published(v1.NoticeClosed)] == [notice.id]
    assert done.result.certified[0]["application_id"] == application_id


async def test_an_entry_with_an_open_objection_is_left_for_later(cycle: Cycle) -> None:
    (objected, clear), notice = await cycle.closed_notice(2)
    async with cycle.unit() as uow:
        await uow.objections.file("c1", objected, cycle.clock.now())
    done = await cycle.run(approvals.approve, _notice(notice.id))
    assert [c["application_id"] for c in done.result.certified] == [clear]
    assert done.result.blocked == [{"application_id": objected,
                                    "reason": "an objection is open"}]
    assert cycle.store.applications[objected].status == "notice_closed"


async def test_a_second_approval_of_a_notice_grants_nothing_twice(cycle: Cycle) -> None:
    _, notice = await cycle.closed_notice()
    await cycle.run(approvals.approve, _notice(notice.id))
    before = cycle.snapshot()
    with pytest.raises(Refused, match="nothing to approve"):
        await cycle.run(approvals.approve, _notice(notice.id))
    assert cycle.snapshot() == before and len(cycle.store.certifications) == 1


async def test_an_application_approved_twice_by_id_is_refused_the_second_time(
        cycle: Cycle) -> None:
    [application_id], _ = await cycle.closed_notice()
    by_id = approvals.Approve(APPROVER, application_ids=[application_id])
    await cycle.run(approvals.approve, by_id)
    with pytest.raises(Refused, match="is certified"):
        await cycle.run(approvals.approve, by_id)
    assert len(cycle.store.certifications) == 1


async def test_the_reviewer_cannot_approve_what_they_reviewed(cycle: Cycle) -> None:
    _, notice = await cycle.closed_notice()
    dual = officer(REVIEWER.id, "township_reviewer", "county_approver")
    before = cycle.snapshot()
    with pytest.raises(Refused, match="reviewed this application"):
        await cycle.run(approvals.approve, _notice(notice.id, by=dual))
    assert cycle.snapshot() == before


async def test_a_rejection_at_the_re_check_is_published_with_its_stage(cycle: Cycle) -> None:
    [application_id], notice = await cycle.closed_notice()
    done = await cycle.run(approvals.approve, _notice(
        notice.id, rejections={application_id: "moved away"}))
    assert done.result.rejected == [application_id] and done.result.certified == []
    assert [e.stage for e in done.published(v1.ApplicationReviewed)] == ["county"]
    assert cycle.store.applications[application_id].status == "rejected"


async def test_a_rejection_of_what_is_not_on_the_notice_is_refused(cycle: Cycle) -> None:
    _, notice = await cycle.closed_notice()
    with pytest.raises(Refused, match="not an entry"):
        await cycle.run(approvals.approve, _notice(notice.id, rejections={"other": "x"}))
    assert cycle.store.certifications == {}


async def test_an_approver_of_another_county_is_out_of_scope(cycle: Cycle) -> None:
    _, notice = await cycle.closed_notice()
    stranger = officer("approver-2", "county_approver", division="420118")
    with pytest.raises(OutOfScope):
        await cycle.run(approvals.approve, _notice(notice.id, by=stranger))
    assert cycle.store.certifications == {}


async def test_a_notice_closed_before_a_refused_approval_stays_closed(cycle: Cycle) -> None:
    _, notice = await cycle.closed_notice()
    refused = _notice(notice.id, by=officer(REVIEWER.id, "county_approver"))
    closing = await cycle.run(approvals.close_due_notices, refused)
    with pytest.raises(Refused, match="reviewed this application"):
        await cycle.run(approvals.approve, refused)
    assert [c.notice_id for c in closing.published(v1.NoticeClosed)] == [notice.id]
    assert cycle.store.notices[notice.id].status == "closed"
