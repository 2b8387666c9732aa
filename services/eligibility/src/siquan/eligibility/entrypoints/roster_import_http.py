"""Migrating an existing roster over HTTP: a township reviewer or county approver submits
the workbook and gets its validation report (rows by number and reason code, never an ID
number); a second officer, a county approver, approves it (certifications are created,
marked as migrated) or rejects it with a reason. Each call is one unit of work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile
from pydantic import BaseModel, Field

from siquan.eligibility.application import roster_import
from siquan.eligibility.entrypoints.schemas import Units
from siquan.shared.auth import Officer, require_role

router = APIRouter()
Maker = Annotated[Officer, Depends(require_role("township_reviewer", "county_approver"))]
Approver = Annotated[Officer, Depends(require_role("county_approver"))]
Reader = Annotated[Officer, Depends(require_role("township_reviewer", "county_approver",
                                                 "auditor"))]


class RosterDecision(BaseModel):
    reason: str = Field(default="", max_length=500)


@router.post("/roster-imports", status_code=201)
async def submit(units: Units, file: Annotated[UploadFile, File()], officer: Maker
                 ) -> dict[str, Any]:
    """The workbook's validation report; nothing is certified until a second officer
    approves it."""
    command = roster_import.SubmitRosterImport(officer, file.filename or "roster.xlsx",
                                               await file.read())
    async with units() as uow:
        return await roster_import.submit(command, uow)


@router.post("/roster-imports/{import_id}/approve")
async def approve(import_id: str, units: Units, officer: Approver,
                  body: RosterDecision | None = None) -> dict[str, Any]:
    """Certify every row still accepted (403: the officer submitted the import)."""
    command = roster_import.DecideRosterImport(officer, import_id, True,
                                               body.reason if body else "")
    async with units() as uow:
        return await roster_import.decide(command, uow)


@router.post("/roster-imports/{import_id}/reject")
async def reject(import_id: str, body: RosterDecision, units: Units, officer: Approver
                 ) -> dict[str, Any]:
    command = roster_import.DecideRosterImport(officer, import_id, False, body.reason)
    async with units() as uow:
        return await roster_import.decide(command, uow)


@router.get("/roster-imports/{import_id}")
async def show(import_id: str, units: Units, officer: Reader) -> dict[str, Any]:
    """The import's report and decision, with the certifications it created."""
    async with units.reading() as uow:
        return await roster_import.show(uow, officer, import_id)
