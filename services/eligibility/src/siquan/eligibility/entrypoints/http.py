"""Eligibility's operator API: clerks submit, township reviewers review, county approvers
approve. Every call is authenticated; roles and division scope are enforced."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from siquan.contracts.types import DivisionCode, ProgramCode, ResidentId, division_scope
from siquan.eligibility.adapters import repository
from siquan.eligibility.application import use_cases
from siquan.shared.auth import Officer, require_role
from siquan.shared.runtime import Runtime

router = APIRouter()


class SubmitApplication(BaseModel):
    resident_id: ResidentId
    name: str = Field(min_length=1, max_length=50, description="Applicant's full name")
    program_code: ProgramCode
    category: str = Field(min_length=1, description="Benefit category within the program")
    division_code: DivisionCode
    eligible_from: date = Field(description="First day the applicant qualifies")


class ReviewApplication(BaseModel):
    outcome: Literal["approved", "rejected"]
    reason: str = Field(default="", max_length=500)




@router.post("/applications", status_code=201)
async def submit(body: SubmitApplication, rt: Runtime,
                 officer: Annotated[Officer, Depends(require_role("clerk"))]) -> dict[str, str]:
    application_id = await use_cases.submit_application(
        rt.pool, rt.outbox, officer, secret=rt.settings.person_key_secret,
        resident_id=body.resident_id, name=body.name, program_code=body.program_code,
        category=body.category, division_code=body.division_code,
        eligible_from=body.eligible_from)
    return {"application_id": application_id, "status": "submitted"}


@router.post("/applications/{application_id}/review")
async def review(application_id: str, body: ReviewApplication, rt: Runtime,
                 officer: Annotated[Officer, Depends(require_role("township_reviewer"))],
                 ) -> dict[str, str]:
    application = await use_cases.review_application(rt.pool, rt.outbox, officer,
                                                     application_id, body.outcome, body.reason)
    return {"application_id": application.id, "status": application.status}


@router.post("/applications/{application_id}/approve")
async def approve(application_id: str, rt: Runtime,
                  officer: Annotated[Officer, Depends(require_role("county_approver"))],
                  ) -> dict[str, str]:
    certification_id = await use_cases.approve_application(rt.pool, rt.outbox, officer,
                                                           application_id)
    return {"application_id": application_id, "certification_id": certification_id,
            "status": "certified"}


@router.get("/applications/{application_id}")
async def show(application_id: str, rt: Runtime,
               officer: Annotated[Officer, Depends(require_role(
                   "clerk", "township_reviewer", "county_approver", "auditor"))],
               ) -> dict[str, object]:
    async with rt.pool.acquire() as conn:
        application = await repository.get_application(conn, application_id)
    officer.check_scope(application.division_code)
    return {"id": application.id, "status": application.status,
            "program_code": application.program_code, "masked_name": application.masked_name,
            "division_code": application.division_code, "reviewed_by": application.reviewed_by,
            "approved_by": application.approved_by}


@router.get("/certifications")
async def certifications(rt: Runtime, officer: Annotated[Officer, Depends(require_role(
        "county_approver", "auditor"))], program_code: str | None = None,
                         ) -> list[dict[str, object]]:
    async with rt.pool.acquire() as conn:
        return await repository.list_certifications(conn, program_code,
                                                    division_scope(officer.division))
