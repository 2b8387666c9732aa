"""The yearly re-confirmation (年审) over HTTP: the officer who made the visit or check
re-confirms certifications within their division (the village clerk or township reviewer
for their township, the county approver for the county), each with how and (optionally)
the evidence, as the authenticated officer; officers read the worklist of their division
for a year, a page at a time. Each call is one unit of work."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from siquan.contracts.types import ProgramCode, division_scope
from siquan.eligibility.adapters.reconfirmation_views import worklist as read_worklist
from siquan.eligibility.application import reconfirmation
from siquan.eligibility.domain.reconfirmation import Method, WorklistStatus
from siquan.eligibility.entrypoints.schemas import LocalDivision, Units
from siquan.shared.auth import Officer, require_role
from siquan.shared.http_guard import MAX_PAGE, Limit, Offset

router = APIRouter()
Recorder = Annotated[Officer, Depends(require_role("clerk", "township_reviewer",
                                                   "county_approver"))]
Reader = Annotated[Officer, Depends(require_role("clerk", "township_reviewer",
                                                 "county_approver", "auditor"))]
Year = Annotated[int, Field(ge=2000, le=2100, description="The year re-confirmed")]
EvidenceReference = Annotated[str, Field(
    min_length=1, max_length=200, pattern=r"\S",
    description="Where the evidence is kept: a file number, a survival-check receipt")]


class ConfirmationBody(BaseModel):
    certification_id: str
    method: Method = Field(description="in_person, village_visit (村干部走访), survival_check "
                                       "(生存认证) or partner_data (a partner agency's data)")
    evidence_reference: EvidenceReference | None = None


class Reconfirmations(BaseModel):
    year: Year
    confirmations: list[ConfirmationBody] = Field(min_length=1)


class WorklistPage(BaseModel):
    year: int
    division_code: str
    items: list[dict[str, Any]]


@router.post("/reconfirmations")
async def reconfirm(body: Reconfirmations, units: Units, officer: Recorder
                    ) -> dict[str, int]:
    """Re-confirm certifications for a year, all or nothing; a certification outside the
    officer's division refuses the batch (403)."""
    command = reconfirmation.Reconfirm(officer, body.year, [
        reconfirmation.Confirmation(c.certification_id, c.method, c.evidence_reference)
        for c in body.confirmations])
    async with units() as uow:
        done = await reconfirmation.reconfirm(command, uow)
    return {"reconfirmed": done, "year": body.year}


@router.get("/reconfirmations/{year}")
async def worklist(year: Annotated[int, Path(ge=2000, le=2100)], units: Units,
                   officer: Reader, division_code: LocalDivision | None = None,
                   program_code: ProgramCode | None = None,
                   status: WorklistStatus | None = None, limit: Limit = MAX_PAGE,
                   offset: Offset = 0) -> WorklistPage:
    """The certifications of the division (default: the officer's) due for
    re-confirmation in `year`, with their status."""
    division = division_code or officer.division
    officer.check_scope(division)
    async with units.reading() as uow:
        items = await read_worklist(
            uow.conn, year=year, today=uow.today(), division_prefix=division_scope(division),
            program_code=program_code, status=status,
            grace_days=uow.terms.renewal_grace_days,
            grace_by_program=uow.terms.renewal_grace_by_program, limit=limit, offset=offset)
    return WorklistPage(year=year, division_code=division, items=items)
