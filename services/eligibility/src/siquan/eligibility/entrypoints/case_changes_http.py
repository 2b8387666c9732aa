"""Case changes over HTTP: a transfer to another county (the sending county's approver
initiates it, the receiving county's accepts or refuses it) and a change of benefit
category, decided on the evidence the policy names for the new category (filed for the
certification with `POST /certifications/{id}/evidence`) and the household facts the
change implies. Each call is one unit of work; every officer acts within their own
county."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Form, UploadFile
from pydantic import BaseModel, Field

from siquan.eligibility.application import case_changes
from siquan.eligibility.entrypoints.schemas import LocalDivision, Reason, Units
from siquan.shared.auth import Officer, require_role

router = APIRouter()
Approver = Annotated[Officer, Depends(require_role("county_approver"))]
Reader = Annotated[Officer, Depends(require_role("county_approver", "auditor"))]
County = Annotated[str, Field(pattern=r"^\d{6}$", description="The receiving county (6 digits)",
                              examples=["420102"])]
Category = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]


class TransferBody(BaseModel):
    certification_id: str = Field(min_length=1, max_length=64)
    to_division_code: County
    to_township_code: LocalDivision | None = None
    effective_from: date = Field(description="First day of the first month the receiving "
                                             "county pays")
    reason: Reason


class TransferDecision(BaseModel):
    reason: str = Field(default="", max_length=500,
                        description="Why, required when refused")


class CategoryChangeBody(BaseModel):
    certification_id: str = Field(min_length=1, max_length=64)
    to_category: Category
    effective_from: date = Field(description="First day of the first month of the new "
                                             "category")
    reason: Reason
    household: dict[str, Any] = Field(
        default_factory=dict, max_length=20,
        description="The household facts that change with the category, as an application "
                    "states them (e.g. `family_type` and `children` with the only child's "
                    "status and date of death); the facts on record give the rest, and the "
                    "whole must qualify for the new category",
        examples=[{"family_type": "only_child_died", "children": [
            {"birth_date": "1986-05-01", "sex": "female", "status": "died",
             "died_on": "2026-03-08"}]}])


@router.post("/transfers", status_code=201)
async def initiate_transfer(body: TransferBody, units: Units, officer: Approver
                            ) -> dict[str, Any]:
    command = case_changes.InitiateTransfer(
        officer, body.certification_id, body.to_division_code, body.to_township_code,
        body.effective_from, body.reason)
    async with units() as uow:
        return case_changes.shown(await case_changes.initiate_transfer(command, uow))


@router.post("/transfers/{transfer_id}/{decision}")
async def decide_transfer(transfer_id: str, decision: Literal["acceptance", "refusal"],
                          body: TransferDecision, units: Units, officer: Approver
                          ) -> dict[str, Any]:
    command = case_changes.DecideTransfer(officer, transfer_id, decision == "acceptance",
                                          body.reason)
    async with units() as uow:
        return case_changes.shown(await case_changes.decide_transfer(command, uow))


@router.get("/transfers")
async def transfers(units: Units, officer: Reader,
                    status: Literal["pending", "accepted", "refused"] | None = None
                    ) -> list[dict[str, Any]]:
    """The transfers into or out of the officer's county."""
    async with units.reading() as uow:
        found = await uow.case_changes.transfers_to(officer.division[:6], status)
    return [case_changes.shown(t) for t in found]


@router.post("/category-changes", status_code=201)
async def change_category(body: CategoryChangeBody, units: Units, officer: Approver
                          ) -> dict[str, Any]:
    """Refused (409) with every missing document named when the new category's required
    evidence is not on file for the certification; refused (422) by field when the facts
    after the change are incomplete or do not qualify for it."""
    command = case_changes.ChangeCategory(officer, body.certification_id, body.to_category,
                                          body.effective_from, body.reason, body.household)
    async with units() as uow:
        change = await case_changes.change_category(command, uow)
    return {"change_id": change.id, "certification_id": change.certification_id,
            "from_category": change.from_category, "to_category": change.to_category,
            "effective_from": change.effective_from}


@router.post("/certifications/{certification_id}/evidence", status_code=201)
async def add_evidence(certification_id: str, units: Units,
                       file: Annotated[UploadFile, File()],
                       kind: Annotated[str, Form(min_length=1, max_length=64)],
                       officer: Annotated[Officer, Depends(require_role(
                           "clerk", "township_reviewer", "county_approver"))]
                       ) -> dict[str, Any]:
    """File a document for a live certification (e.g. the only child's death certificate
    before its category changes): a kind the program names for one of its categories."""
    command = case_changes.AddEvidence(
        officer, certification_id, kind=kind, filename=file.filename or "evidence",
        content_type=file.content_type or "application/octet-stream",
        content=await file.read())
    async with units() as uow:
        return await case_changes.add_evidence(command, uow)
