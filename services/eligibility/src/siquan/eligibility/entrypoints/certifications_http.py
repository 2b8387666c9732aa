"""Certifications over HTTP: the county's yearly renewals (a batch re-confirmed one way)
and its suspensions, reinstatements and revocations; the roster, one certification with
its history and the amount owed for a period; the duplicates report (exclusive programs,
households certified twice); timeliness of certification by division and month. Each call
is one unit of work."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends

from siquan.contracts.policy import load_catalogue
from siquan.contracts.types import division_scope
from siquan.eligibility.application import certifications, queries, reconfirmation
from siquan.eligibility.application.certifications import Action
from siquan.eligibility.entrypoints.schemas import CertificationDecision, Renewals, Units
from siquan.shared.auth import Officer, require_role
from siquan.shared.http_guard import MAX_PAGE, Limit, Offset
from siquan.shared.purpose import Purpose

router = APIRouter()
Approver = Annotated[Officer, Depends(require_role("county_approver"))]
Reader = Annotated[Officer, Depends(require_role("township_reviewer", "county_approver",
                                                 "auditor"))]
_ACTIONS: dict[str, Action] = {"suspension": "suspend", "reinstatement": "reinstate",
                               "revocation": "revoke"}


@router.post("/certifications/renewals")
async def renew(body: Renewals, units: Units, officer: Approver) -> dict[str, int]:
    """Re-confirm a batch the same way (`POST /reconfirmations` takes one way each)."""
    command = reconfirmation.Reconfirm(officer, body.year, [
        reconfirmation.Confirmation(i, body.method, body.evidence_reference)
        for i in body.certification_ids])
    async with units() as uow:
        renewed = await reconfirmation.reconfirm(command, uow)
    return {"renewed": renewed, "year": body.year}


@router.post("/certifications/{certification_id}/{decision}")
async def decide(certification_id: str,
                 decision: Literal["suspension", "reinstatement", "revocation"],
                 body: CertificationDecision, units: Units, officer: Approver
                 ) -> dict[str, Any]:
    command = certifications.DecideCertification(
        officer, certification_id, _ACTIONS[decision], body.reason, body.effective_from)
    async with units() as uow:
        found = await certifications.decide(command, uow)
    return {"certification_id": found.id, "status": found.status}


@router.get("/certifications")
async def roster(units: Units, officer: Reader, program_code: str | None = None,
                 status: str | None = None, limit: Limit = MAX_PAGE, offset: Offset = 0
                 ) -> list[dict[str, object]]:
    """The certifications within the officer's division, oldest approval first, a page at
    a time."""
    async with units.reading() as uow:
        return await uow.views.certifications(program_code, division_scope(officer.division),
                                              status, limit=limit, offset=offset)


@router.get("/duplicates")
async def duplicates(units: Units, officer: Reader, limit: Limit = MAX_PAGE,
                     offset: Offset = 0) -> dict[str, Any]:
    """The standing report of duplicates within the officer's division:

    - persons certified in programs the policy declares exclusive (`exclusive_with`), each
      with both certifications, by person key. A new application for such a program is
      refused at submission; these are the ones certified before the declaration or
      across divisions;
    - households certified twice for a program paid once per household (two members'
      live certifications), by household key: approval refuses a second one, so these
      are the ones certified before the household register linked them or before the
      program paid per household.

    Each section is a page (`limit`, `offset` apply to each)."""
    catalogue = load_catalogue()
    pairs = sorted({tuple(sorted((program, other)))
                    for program in catalogue.programs()
                    for other in catalogue.exclusive_with(program)})
    async with units.reading() as uow:
        found = await uow.views.exclusive_holdings(
            [(a, b) for a, b in pairs], division_scope(officer.division),
            limit=limit, offset=offset)
        per_household = [p for p in catalogue.programs() if catalogue.per_household(p)]
        twice = await uow.views.households_certified_twice(
            per_household, division_scope(officer.division), limit=limit, offset=offset)
    return {"exclusive_programs": found, "pairs": [list(p) for p in pairs],
            "household_certified_twice": twice, "per_household_programs": per_household}


@router.get("/certifications/{certification_id}")
async def show(certification_id: str, units: Units, officer: Reader, purpose: Purpose,
               period: str | None = None) -> dict[str, Any]:
    """The certification; the read is recorded with its purpose (oversight sees it)."""
    async with units() as uow:
        return await queries.certification(uow, officer, certification_id, period, purpose)


@router.get("/timeliness")
async def timeliness(units: Units, officer: Reader, division_code: str, period: str
                     ) -> dict[str, Any]:
    async with units.reading() as uow:
        return await queries.timeliness(uow, officer, division_code, period)
