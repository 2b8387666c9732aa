"""The review chain over HTTP, in batches as counties work: community review meetings
(clerk or township reviewer), township reviews and public notices (township reviewer),
county re-check and approval (county approver)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from siquan.eligibility.application import approvals, notices, queries, reviews
from siquan.eligibility.application.context import Context
from siquan.eligibility.entrypoints.schemas import (
    Approvals,
    CommunityReview,
    PublishNotice,
    TownshipReviews,
    context,
)
from siquan.shared.auth import Officer, require_role

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]


@router.post("/community-reviews", status_code=201)
async def community_review(body: CommunityReview, ctx: Ctx, officer: Annotated[
        Officer, Depends(require_role("clerk", "township_reviewer"))]) -> dict[str, object]:
    return await reviews.record_community_review(
        ctx, officer, division_code=body.division_code, held_on=body.held_on,
        present=body.present, verdicts=reviews.Verdicts(
            body.passed, {r.application_id: r.reason for r in body.failed}))


@router.post("/township-reviews")
async def township_reviews(body: TownshipReviews, ctx: Ctx, officer: Annotated[
        Officer, Depends(require_role("township_reviewer"))]) -> dict[str, int]:
    failed = {r.application_id: r.reason for r in body.rejected}
    reviewed = await reviews.review(ctx, officer, reviews.Verdicts(body.approved, failed))
    return {"approved": sum(a.status == "township_reviewed" for a in reviewed),
            "rejected": sum(a.status == "rejected" for a in reviewed)}


@router.post("/notices", status_code=201)
async def publish_notice(body: PublishNotice, ctx: Ctx, officer: Annotated[
        Officer, Depends(require_role("township_reviewer"))]) -> dict[str, Any]:
    notice = await notices.publish_notice(ctx, officer, program_code=body.program_code,
                                          division_code=body.division_code,
                                          application_ids=body.application_ids)
    return {"notice_id": notice.id, "policy_version": notice.policy_version,
            "published_on": notice.published_on, "closes_on": notice.closes_on,
            "entries": notice.entries, "status": notice.status}


@router.get("/notices/{notice_id}")
async def show_notice(notice_id: str, ctx: Ctx, officer: Annotated[Officer, Depends(
        require_role("clerk", "township_reviewer", "county_approver", "auditor"))]
                      ) -> dict[str, Any]:
    return await queries.notice(ctx, officer, notice_id)


@router.post("/approvals")
async def approve(body: Approvals, ctx: Ctx, officer: Annotated[
        Officer, Depends(require_role("county_approver"))]) -> dict[str, Any]:
    result = await approvals.approve(
        ctx, officer, notice_id=body.notice_id, application_ids=body.application_ids,
        rejections={r.application_id: r.reason for r in body.rejected})
    return {"certified": result.certified, "rejected": result.rejected,
            "blocked": result.blocked}
