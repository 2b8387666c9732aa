"""Applications over HTTP: village clerks enter them one by one or import a township's
survey, add evidence; officers read them. Every call is authenticated; roles and division
scope (county or township) are enforced."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response

from siquan.eligibility.adapters import notices, repository
from siquan.eligibility.application import approvals, intake, queries, reviews
from siquan.eligibility.application.context import Context
from siquan.eligibility.entrypoints.schemas import (
    ReviewApplication,
    SubmitApplication,
    context,
)
from siquan.shared.auth import Officer, require_role

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]
READERS = ("clerk", "township_reviewer", "county_approver", "auditor")


@router.post("/applications", status_code=201)
async def submit(body: SubmitApplication, ctx: Ctx,
                 officer: Annotated[Officer, Depends(require_role("clerk"))]) -> dict[str, Any]:
    application_id, conflicts = await intake.submit_application(
        ctx, officer, resident_id=body.resident_id, name=body.name,
        program_code=body.program_code, category=body.category,
        division_code=body.division_code, eligible_from=body.eligible_from,
        facts=body.household)
    return {"application_id": application_id, "status": "submitted", "conflicts": conflicts}


@router.post("/applications/import", status_code=201)
async def import_survey(ctx: Ctx, file: Annotated[UploadFile, File()],
                        officer: Annotated[Officer, Depends(require_role("clerk"))]
                        ) -> dict[str, Any]:
    report = await intake.import_survey(ctx, officer, file.filename or "survey",
                                        await file.read())
    return {"import_id": report.import_id, "sha256": report.sha256, "rows": report.rows,
            "accepted": len(report.accepted), "refused_rows": len({e.row for e in
                                                                  report.errors}),
            "application_ids": report.accepted,
            "errors": [{"row": e.row, "field": e.field, "error": e.error}
                       for e in report.errors],
            "conflicts": report.conflicts}


@router.post("/applications/{application_id}/evidence", status_code=201)
async def add_evidence(application_id: str, ctx: Ctx, file: Annotated[UploadFile, File()],
                       kind: Annotated[str, Form(min_length=1, max_length=64)],
                       officer: Annotated[Officer, Depends(require_role(
                           "clerk", "township_reviewer"))]) -> dict[str, Any]:
    return await intake.add_evidence(
        ctx, officer, application_id, kind=kind, filename=file.filename or "evidence",
        content_type=file.content_type or "application/octet-stream",
        content=await file.read())


@router.get("/evidence/{evidence_id}")
async def evidence(evidence_id: str, ctx: Ctx,
                   officer: Annotated[Officer, Depends(require_role(*READERS))]) -> Response:
    async with ctx.pool.acquire() as conn:
        found = await notices.get_evidence(conn, evidence_id)
        application = await queries.application(ctx, officer, found["application_id"])
    return Response(found["content"], media_type=found["content_type"], headers={
        "X-Content-SHA256": found["sha256"], "X-Application-Id": application["id"]})


@router.get("/applications")
async def search(ctx: Ctx, officer: Annotated[Officer, Depends(require_role(*READERS))],
                 status: str | None = None, program_code: str | None = None,
                 division_code: str | None = None, limit: int = 100, offset: int = 0
                 ) -> dict[str, Any]:
    division = division_code or officer.division
    officer.check_scope(division)
    async with ctx.pool.acquire() as conn:
        items = await repository.search(conn, division=division, status=status,
                                        program_code=program_code,
                                        limit=max(1, min(limit, 10_000)), offset=max(0, offset))
    return {"items": items}


@router.get("/applications/{application_id}")
async def show(application_id: str, ctx: Ctx,
               officer: Annotated[Officer, Depends(require_role(*READERS))]) -> dict[str, Any]:
    return await queries.application(ctx, officer, application_id)


@router.post("/applications/{application_id}/review")
async def review(application_id: str, body: ReviewApplication, ctx: Ctx,
                 officer: Annotated[Officer, Depends(require_role("township_reviewer"))],
                 ) -> dict[str, str]:
    failed = {application_id: body.reason} if body.outcome == "rejected" else {}
    passed = [] if failed else [application_id]
    [application] = await reviews.review(ctx, officer, reviews.Verdicts(passed, failed))
    return {"application_id": application.id, "status": application.status}


@router.post("/applications/{application_id}/approve")
async def approve(application_id: str, ctx: Ctx,
                  officer: Annotated[Officer, Depends(require_role("county_approver"))],
                  ) -> dict[str, str]:
    result = await approvals.approve(ctx, officer, notice_id=None,
                                     application_ids=[application_id], rejections={})
    return {"application_id": application_id,
            "certification_id": result.certified[0]["certification_id"], "status": "certified"}
