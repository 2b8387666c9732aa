"""The review chain over HTTP, in batches as counties work: community review meetings
(clerk or township reviewer), township reviews and public notices (township reviewer),
county re-check and approval (county approver). Each call is one unit of work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from siquan.eligibility.application import approvals, notices, queries, reviews
from siquan.eligibility.entrypoints.schemas import (
    Approvals,
    CommunityReview,
    PublishNotice,
    TownshipReviews,
    Units,
)
from siquan.shared.auth import Officer, require_role

router = APIRouter()
Reviewer = Annotated[Officer, Depends(require_role("township_reviewer"))]


@router.post("/community-reviews", status_code=201)
async def community_review(body: CommunityReview, units: Units, officer: Annotated[
        Officer, Depends(require_role("clerk", "township_reviewer"))]) -> dict[str, object]:
    command = reviews.RecordCommunityReview(
        officer, division_code=body.division_code, held_on=body.held_on, present=body.present,
        verdicts=reviews.Verdicts(body.passed, {r.application_id: r.reason
                                                for r in body.failed}))
    async with units() as uow:
        return await reviews.record_community_review(command, uow)


@router.post("/township-reviews")
async def township_reviews(body: TownshipReviews, units: Units, officer: Reviewer
                           ) -> dict[str, int]:
    failed = {r.application_id: r.reason for r in body.rejected}
    command = reviews.ReviewApplications(officer, reviews.Verdicts(body.approved, failed))
    async with units() as uow:
        reviewed = await reviews.review(command, uow)
    return {"approved": sum(a.status == "township_reviewed" for a in reviewed),
            "rejected": sum(a.status == "rejected" for a in reviewed)}


@router.post("/notices", status_code=201)
async def publish_notice(body: PublishNotice, units: Units, officer: Reviewer
                         ) -> dict[str, Any]:
    command = notices.PublishNotice(officer, program_code=body.program_code,
                                    division_code=body.division_code,
                                    application_ids=body.application_ids)
    async with units() as uow:
        notice = await notices.publish_notice(command, uow)
    return {"notice_id": notice.id, "policy_version": notice.policy_version,
            "published_on": notice.published_on, "closes_on": notice.closes_on,
            "entries": notice.entries, "status": notice.status}


@router.get("/notices/{notice_id}")
async def show_notice(notice_id: str, units: Units, officer: Annotated[Officer, Depends(
        require_role("clerk", "township_reviewer", "county_approver", "auditor"))]
                      ) -> dict[str, Any]:
    async with units.reading() as uow:
        return await queries.notice(uow, officer, notice_id)


@router.post("/approvals")
async def approve(body: Approvals, units: Units, officer: Annotated[
        Officer, Depends(require_role("county_approver"))]) -> dict[str, Any]:
    command = approvals.Approve(
        officer, notice_id=body.notice_id, application_ids=body.application_ids,
        rejections={r.application_id: r.reason for r in body.rejected})
    async with units() as uow:
        await approvals.close_due_notices(command, uow)
    async with units() as uow:
        result = await approvals.approve(command, uow)
    return {"certified": result.certified, "rejected": result.rejected,
            "blocked": result.blocked, "ended": result.ended}
