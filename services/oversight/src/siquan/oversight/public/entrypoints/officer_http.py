"""The auditor's side of complaints: the hotline operator enters calls (channel
`hotline`), auditors list, assign and resolve complaints within their division, and read
a person's statement by person key."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from siquan.contracts.oversight_v1 import ComplaintCategory
from siquan.contracts.types import division_scope
from siquan.oversight.entrypoints.units import Units
from siquan.oversight.public.application import handling, statements
from siquan.oversight.public.application.intake import FileComplaint, file_complaint
from siquan.oversight.public.config import PublicConfig
from siquan.oversight.public.domain.complaints import Channel, FieldRefused
from siquan.oversight.public.entrypoints.forms import (
    ComplaintForm,
    problem,
    problems,
    refusal,
)
from siquan.oversight.public.entrypoints.negotiation import UnreadableBody, submitted
from siquan.oversight.reconciliation.application.reads import record_read
from siquan.shared.auth import Officer, require_role
from siquan.shared.errors import NotFound
from siquan.shared.http_guard import Limit, Offset
from siquan.shared.purpose import Purpose

router = APIRouter(tags=["complaints"])
Auditor = Annotated[Officer, Depends(require_role("auditor"))]


async def public_config(request: Request) -> PublicConfig:
    """(A coroutine: FastAPI runs a plain function dependency on a worker thread.)"""
    config: PublicConfig = request.app.state.public_config
    return config


Config = Annotated[PublicConfig, Depends(public_config)]


def command_of(form: ComplaintForm, channel: Channel, officer: Officer | None = None
               ) -> FileComplaint:
    return FileComplaint(
        category=form.category, description=form.description, channel=channel,
        anonymous=form.is_anonymous, division_code=form.division_code,
        application_id=str(form.application_id) if form.application_id else None,
        resident_id=form.resident_id, contact=None if form.is_anonymous else form.contact,
        taken_by=officer)


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handler: str = Field(min_length=1, max_length=64, description="Who handles it")


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["upheld", "dismissed"] = Field(description="Was the complaint right")
    resolution: str = Field(min_length=1, max_length=4000, description="The reason")


@router.post("/complaints", status_code=201)
async def take_hotline_call(request: Request, units: Units, officer: Auditor,
                            config: Config) -> JSONResponse:
    """The hotline operator enters a call: the same fields as the web form."""
    try:
        form = ComplaintForm.model_validate(await submitted(request))
    except UnreadableBody as error:
        return JSONResponse(refusal(problem("body", str(error))), status_code=422)
    except ValidationError as error:
        return JSONResponse(refusal(problems(error)), status_code=422)
    try:
        async with units() as uow:
            complaint = await file_complaint(uow, config, command_of(form, "hotline", officer))
    except FieldRefused as error:
        return JSONResponse(refusal(problem(error.field, error.reason)), status_code=422)
    return JSONResponse(complaint.as_officer(), status_code=201)


@router.get("/complaints")
async def list_complaints(
        units: Units, officer: Auditor,
        status: Literal["open", "escalated", "resolved"] | None = None,
        category: ComplaintCategory | None = None,
        limit: Limit = 100, offset: Offset = 0) -> list[dict[str, Any]]:
    async with units.reading() as uow:
        found = await uow.complaints.find(division_prefix=division_scope(officer.division),
                                          status=status, category=category, limit=limit,
                                          offset=offset)
    return [c.as_officer() for c in found]


@router.get("/complaints/{complaint_id}")
async def complaint(complaint_id: uuid.UUID, units: Units, officer: Auditor
                    ) -> dict[str, Any]:
    async with units.reading() as uow:
        found = await uow.complaints.by_id(str(complaint_id))
    if found is None:
        raise NotFound(f"no complaint {complaint_id}")
    officer.check_scope(found.division_code)
    return found.as_officer()


@router.post("/complaints/{complaint_id}/assign")
async def assign(complaint_id: uuid.UUID, body: Assignment, units: Units, officer: Auditor
                 ) -> dict[str, Any]:
    async with units() as uow:
        assigned = await handling.assign(uow, officer, str(complaint_id), body.handler)
    return assigned.as_officer()


@router.post("/complaints/{complaint_id}/resolve")
async def resolve(complaint_id: uuid.UUID, body: Resolution, units: Units, officer: Auditor
                  ) -> dict[str, Any]:
    async with units() as uow:
        resolved = await handling.resolve(uow, officer, str(complaint_id), body.outcome,
                                          body.resolution)
    return resolved.as_officer()


@router.get("/statements/{person_key}")
async def statement(person_key: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")],
                    units: Units, officer: Auditor, purpose: Purpose) -> dict[str, Any]:
    """A person's certifications and payments per period, within the auditor's division;
    the read is recorded with its purpose."""
    async with units(isolation="repeatable_read") as uow:
        found = await statements.statement_of(uow, person_key,
                                              division_scope(officer.division))
        await record_read(uow, officer, person_key, "statement", purpose)
    return found.as_dict()
