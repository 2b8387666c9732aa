"""Deaths over HTTP, from the two sources beside public security's single message:

- `POST /deaths`: a township reviewer or a county approver records a death with its
  evidence (the document's kind and number); the same death recorded again is answered
  `already_recorded` and revokes nothing again.
- `PUT /partners/public-security/death-files/{file_id}`: public security's daily file of
  deaths (docs/DEATH_FILES.md), signed with its key as its messages are (the signature
  headers below, over the file id, the signed headers and the file's bytes), answered with
  a report per line; the same file sent again is answered with the same report.

Each call is one unit of work; refusals name the field or the line, never what it held."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from siquan.contracts.types import ResidentId
from siquan.eligibility.application import deaths
from siquan.eligibility.domain.death import EvidenceKind
from siquan.eligibility.entrypoints.schemas import Units
from siquan.shared.auth import Officer, require_role
from siquan.shared.signing import KEY_ID_HEADER, SignatureError

router = APIRouter()
Recorder = Annotated[Officer, Depends(require_role("township_reviewer", "county_approver"))]


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
