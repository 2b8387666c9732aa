"""Applications over HTTP: village clerks enter them one by one or import a township's
survey, add evidence; officers read them. Every call is authenticated; roles and division
scope (county or township) are enforced. Each call is one unit of work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, UploadFile
from fastapi.responses import Response

from siquan.eligibility.application import approvals, intake, queries, reviews
from siquan.eligibility.entrypoints.schemas import ReviewApplication, SubmitApplication, Units
from siquan.shared.auth import Officer, require_role
from siquan.shared.http_guard import Limit, Offset
from siquan.shared.purpose import Purpose

router = APIRouter()
READERS = ("clerk", "township_reviewer", "county_approver", "auditor")
Reader = Annotated[Officer, Depends(require_role(*READERS))]
Clerk = Annotated[Officer, Depends(require_role("clerk"))]


@router.post("/applications", status_code=201)
async def submit(body: SubmitApplication, units: Units, officer: Clerk) -> dict[str, Any]:
    command = intake.SubmitApplication(
        officer, resident_id=body.resident_id, name=body.name, program_code=body.program_code,
        category=body.category, division_code=body.division_code,
        eligible_from=body.eligible_from, facts=body.household,
        contact_phone=body.contact_phone)
    async with units() as uow:
        application_id, conflicts = await intake.submit_application(command, uow)
    return {"application_id": application_id, "status": "submitted", "conflicts": conflicts}


@router.post("/applications/import", status_code=201)
async def import_survey(units: Units, file: Annotated[UploadFile, File()], officer: Clerk
                        ) -> dict[str, Any]:
    command = intake.ImportSurvey(officer, file.filename or "survey", await file.read())
    async with units() as uow:
        report = await intake.import_survey(command, uow)
    return {"import_id": report.import_id, "sha256": report.sha256, "rows": report.rows,
            "accepted": len(report.accepted), "refused_rows": len({e.row for e in
                                                                  report.errors}),
            "application_ids": report.accepted,
            "errors": [{"row": e.row, "field": e.field, "error": e.error}
                       for e in report.errors],
            "conflicts": report.conflicts}


@router.post("/applications/{application_id}/evidence", status_code=201)
async def add_evidence(application_id: str, units: Units, file: Annotated[UploadFile, File()],
                       kind: Annotated[str, Form(min_length=1, max_length=64)],
                       officer: Annotated[Officer, Depends(require_role(
                           "clerk", "township_reviewer"))]) -> dict[str, Any]:
    command = intake.AddEvidence(
        officer, application_id, kind=kind, filename=file.filename or "evidence",
        content_type=file.content_type or "application/octet-stream",
        content=await file.read())
    async with units() as uow:
        return await intake.add_evidence(command, uow)


@router.post("/evidence/batch", status_code=201)
async def file_evidence_archive(
        units: Units, archive: Annotated[UploadFile, File(description=(
            "ZIP: manifest.csv (columns application_id, kind, file; optionally "
            "content_type) and the scans it names"))],
        officer: Annotated[Officer, Depends(require_role("clerk", "township_reviewer"))]
) -> dict[str, Any]:
    """File a batch of scans in one request, as a township office sends them: each
    document is checked and kept as `POST /applications/{id}/evidence` keeps one (the
    officer's division, the application still under review, the size limit), and its kind
    must be one the application's program asks for its category. All entries are filed
    or none. A document already on file for the application under the same kind (same
    SHA-256) is not stored again, so the same archive may be sent twice.

    422 when the archive is not a ZIP with a readable manifest, or when entries are refused
    (nothing filed): `errors` names each by manifest row and column
    (`manifest.row.<n>.<column>`) with its `type` — not_found, out_of_scope, not_live,
    kind, missing, too_large, empty, unreadable, content_type — and never repeats the
    archive's content. 413 when the archive is over the upload limit."""
    command = intake.FileEvidenceArchive(officer, await archive.read())
    async with units() as uow:
        return await intake.file_evidence_archive(command, uow)


@router.get("/evidence/{evidence_id}")
async def evidence(evidence_id: str, units: Units, officer: Reader, purpose: Purpose
                   ) -> Response:
    async with units() as uow:
        found = await queries.evidence(uow, officer, evidence_id, purpose)
    return Response(found["content"], media_type=found["content_type"], headers={
        "X-Content-SHA256": found["sha256"], "X-Application-Id": found["application_id"]})


@router.get("/applications")
async def search(units: Units, officer: Reader, status: str | None = None,
                 program_code: str | None = None, division_code: str | None = None,
                 limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    division = division_code or officer.division
    officer.check_scope(division)
    async with units.reading() as uow:
        items = await uow.views.applications(
            division=division, status=status, program_code=program_code,
            limit=limit, offset=offset)
    return {"items": items}


@router.get("/applications/{application_id}")
async def show(application_id: str, units: Units, officer: Reader, purpose: Purpose
               ) -> dict[str, Any]:
    """The application; the read is recorded with its purpose (oversight sees it)."""
    async with units() as uow:
        return await queries.application(uow, officer, application_id, purpose)


@router.post("/applications/{application_id}/review")
async def review(application_id: str, body: ReviewApplication, units: Units,
                 officer: Annotated[Officer, Depends(require_role("township_reviewer"))],
                 ) -> dict[str, str]:
    failed = {application_id: body.reason} if body.outcome == "rejected" else {}
    passed = [] if failed else [application_id]
    command = reviews.ReviewApplications(officer, reviews.Verdicts(passed, failed))
    async with units() as uow:
        [application] = await reviews.review(command, uow)
    return {"application_id": application.id, "status": application.status}


@router.post("/applications/{application_id}/approve")
async def approve(application_id: str, units: Units,
                  officer: Annotated[Officer, Depends(require_role("county_approver"))],
                  ) -> dict[str, str | None]:
    command = approvals.Approve(officer, application_ids=[application_id])
    async with units() as uow:
        await approvals.close_due_notices(command, uow)
    async with units() as uow:
        result = await approvals.approve(command, uow)
    if not result.certified:  # the applicant was reported dead: the application ended
        return {"application_id": application_id, "certification_id": None,
                "status": "rejected"}
    return {"application_id": application_id,
            "certification_id": result.certified[0]["certification_id"], "status": "certified"}
