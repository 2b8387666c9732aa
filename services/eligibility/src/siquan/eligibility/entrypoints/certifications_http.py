"""Certifications over HTTP: the county's yearly renewals and its suspensions,
reinstatements and revocations; the roster, one certification with its history and the
amount owed for a period; timeliness of certification by division and month."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends

from siquan.contracts.types import division_scope
from siquan.eligibility.adapters import certifications as store
from siquan.eligibility.application import certifications, queries
from siquan.eligibility.application.context import Context
from siquan.eligibility.entrypoints.schemas import CertificationDecision, Renewals, context
from siquan.shared.auth import Officer, require_role

router = APIRouter()
Ctx = Annotated[Context, Depends(context)]
Approver = Annotated[Officer, Depends(require_role("county_approver"))]
Reader = Annotated[Officer, Depends(require_role("township_reviewer", "county_approver",
                                                 "auditor"))]
_ACTIONS = {"suspension": "suspend", "reinstatement": "reinstate", "revocation": "revoke"}


@router.post("/certifications/renewals")
async def renew(body: Renewals, ctx: Ctx, officer: Approver) -> dict[str, int]:
    renewed = await certifications.renew(ctx, officer, body.year, body.certification_ids)
    return {"renewed": renewed, "year": body.year}


@router.post("/certifications/{certification_id}/{decision}")
async def decide(certification_id: str,
                 decision: Literal["suspension", "reinstatement", "revocation"],
                 body: CertificationDecision, ctx: Ctx, officer: Approver) -> dict[str, Any]:
    found = await certifications.decide(ctx, officer, certification_id, _ACTIONS[decision],
                                        body.effective_from, body.reason)
    return {"certification_id": found.id, "status": found.status}


@router.get("/certifications")
async def roster(ctx: Ctx, officer: Reader, program_code: str | None = None,
                 status: str | None = None) -> list[dict[str, object]]:
    async with ctx.pool.acquire() as conn:
        return await store.listing(conn, program_code, division_scope(officer.division),
                                   status)


@router.get("/certifications/{certification_id}")
async def show(certification_id: str, ctx: Ctx, officer: Reader,
               period: str | None = None) -> dict[str, Any]:
    return await queries.certification(ctx, officer, certification_id, period)


@router.get("/timeliness")
async def timeliness(ctx: Ctx, officer: Reader, division_code: str, period: str
                     ) -> dict[str, Any]:
    return await queries.timeliness(ctx, officer, division_code, period)
