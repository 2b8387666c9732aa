"""Deaths over HTTP, from the two sources beside public security's single message:

- `POST /deaths`: a township reviewer or a county approver records a death with its
  evidence (the document's kind and number); the same death recorded again is answered
  `already_recorded` and revokes nothing again.
- `PUT /partners/public-security/death-files/{file_id}`: public security's daily file of
  deaths (docs/DEATH_FILES.md), signed with its key as its messages are (the signature
  headers below, over the file id, the signed headers and the file's bytes), answered with
  a report per line; the same file sent again is answered with the same report.
- `GET /deaths`: the deaths within the officer's division (filters: division, range of
  dates of death; a page at a time), masked names and resident IDs only.
- `POST /deaths/{report_id}/correction`: a county approver who did not record the death
  corrects one recorded in error, with the reason and the evidence: the certifications it
  revoked are active again as if never revoked (200); corrected already: 409.

Each call is one unit of work; refusals name the field or the line, never what it held."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from siquan.contracts.types import ResidentId
from siquan.eligibility.application import deaths
from siquan.eligibility.domain.death import CorrectionEvidenceKind, EvidenceKind
from siquan.eligibility.entrypoints.schemas import LocalDivision, Reason, Units
from siquan.shared.auth import Officer, require_role
from siquan.shared.http_guard import MAX_PAGE, Limit, Offset
from siquan.shared.signing import KEY_ID_HEADER, SignatureError

router = APIRouter()
Recorder = Annotated[Officer, Depends(require_role("township_reviewer", "county_approver"))]
Approver = Annotated[Officer, Depends(require_role("county_approver"))]
Reader = Annotated[Officer, Depends(require_role("township_reviewer", "county_approver",
                                                 "auditor"))]


class RecordDeath(BaseModel):
    resident_id: ResidentId
    date_of_death: date = Field(description="The date of death the evidence gives")
    evidence_kind: EvidenceKind = Field(
        description="death_certificate (死亡证明), village_report, community_report, "
                    "hospital_record or cremation_record")
    document_number: str = Field(min_length=1, max_length=64,
                                 description="The evidence's number or reference")


@router.post("/deaths", status_code=201)
async def record_death(body: RecordDeath, units: Units, officer: Recorder,
                       response: Response) -> dict[str, Any]:
    """Record a death: the person's live certifications are revoked from the month after
    it and their live applications end (201); the same death already on record: 200,
    `already_recorded`, nothing revoked again."""
    command = deaths.RecordDeath(officer, body.resident_id, body.date_of_death,
                                 body.evidence_kind, body.document_number)
    async with units() as uow:
        recorded = await deaths.record_death(command, uow)
    if recorded.status == "already_recorded":
        response.status_code = 200
    return {"report_id": recorded.report_id, "status": recorded.status,
            "revoked_certification_ids": recorded.ended.revoked,
            "ended_application_ids": recorded.ended.applications}


class DeathCorrection(BaseModel):
    reason: Reason = Field(description="Why the death was recorded in error")
    evidence_kind: CorrectionEvidenceKind = Field(
        description="household_register_extract, public_security_correction, "
                    "in_person_check, village_report or community_report")
    document_number: str = Field(min_length=1, max_length=64,
                                 description="The evidence's number or reference")


@router.get("/deaths")
async def list_deaths(units: Units, officer: Reader, division_code: LocalDivision | None = None,
                      died_from: date | None = None, died_until: date | None = None,
                      limit: Limit = MAX_PAGE, offset: Offset = 0) -> list[dict[str, Any]]:
    """The deaths recorded within the officer's division, by date of death: the source
    (an officer, public security's message, or its daily file with the file and line),
    who recorded it when, the certifications it revoked and its correction, if any."""
    query = deaths.ListDeaths(officer, division_code, died_from, died_until, limit, offset)
    async with units.reading() as uow:
        return await deaths.list_deaths(query, uow)


@router.post("/deaths/{report_id}/correction")
async def correct_death(report_id: str, body: DeathCorrection, units: Units,
                        officer: Approver) -> dict[str, Any]:
    """Correct a death recorded in error: the certifications it revoked are active again
    from the day the revocation took effect; the months not paid meanwhile are paid as
    arrears and nothing is recovered for the death. 404: no such death; 409: corrected
    already, or the approver recorded it."""
    command = deaths.CorrectDeath(officer, report_id, body.reason, body.evidence_kind,
                                  body.document_number)
    async with units() as uow:
        corrected = await deaths.correct_death(command, uow)
    return {"correction_id": corrected.correction_id, "status": "corrected",
            "corrected_report_ids": corrected.report_ids,
            "reinstated_certification_ids": corrected.reinstated}


@router.put("/partners/public-security/death-files/{file_id}")
async def receive_death_file(file_id: str, request: Request, units: Units) -> dict[str, Any]:
    """Public security's daily death file (text/csv), signed: `X-Siquan-Producer:
    partner.public_security`, `X-Siquan-Type: public_security.death_file.v1`,
    `X-Siquan-Key-Id` and `X-Siquan-Signature` (Ed25519 over the file id, the signed
    headers and the body, as a message is signed)."""
    body = await request.body()
    headers = dict(request.headers)  # lower-cased names, as the signature reads them
    try:
        producer = request.app.state.runtime.verifier.verify(file_id, headers, body)
    except SignatureError as exc:
        raise HTTPException(401, f"the death file is not accepted: {exc}") from exc
    if producer != deaths.FILE_PRODUCER or headers.get("x-siquan-type") != deaths.FILE_TYPE:
        raise HTTPException(403, f"only {deaths.FILE_PRODUCER} sends "
                                 f"{deaths.FILE_TYPE} files")
    file = deaths.DeathFile(file_id, str(headers.get(KEY_ID_HEADER, "")), body)
    async with units() as uow:
        return await deaths.receive_death_file(file, uow)
