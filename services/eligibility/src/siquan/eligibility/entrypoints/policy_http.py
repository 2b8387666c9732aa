"""The policy register over HTTP, for policy officers (auditors read it): draft a version
as the changes over the version in force, approve another officer's draft (which publishes
it), read the history (the seed files first)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from siquan.contracts.policy import Citation
from siquan.contracts.policy_versions import PolicyChanges
from siquan.contracts.types import ProgramCode
from siquan.eligibility.application import policy_register
from siquan.eligibility.entrypoints.schemas import Units
from siquan.shared.auth import Officer, require_role

router = APIRouter()
PolicyOfficer = Annotated[Officer, Depends(require_role("policy_officer"))]
Reader = Annotated[Officer, Depends(require_role("policy_officer", "auditor"))]


class DraftVersion(BaseModel):
    """A small version: the fields it changes over the version in force on its day."""

    model_config = ConfigDict(extra="forbid")
    program_code: ProgramCode
    version: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$",
                         description="A new label, unique within the program",
                         examples=["hubei-2026-raise"])
    effective_from: date = Field(description="First day in force (may lie in the past: a "
                                             "retroactive version)")
    division_code: str | None = Field(
        default=None, pattern=r"^\d{6}$",
        description="Division whose version in force it changes (None: the unscoped one)")
    changes: PolicyChanges
    citation: Citation = Field(description="The legal basis: document and clause")


@router.post("/policy-versions", status_code=201)
async def draft(body: DraftVersion, units: Units, officer: PolicyOfficer) -> dict[str, Any]:
    command = policy_register.DraftPolicyVersion(
        officer, program_code=body.program_code, version=body.version,
        effective_from=body.effective_from, division_code=body.division_code,
        changes=body.changes, citation=body.citation)
    async with units() as uow:
        drafted = await policy_register.draft_version(command, uow)
    return policy_register.shown(drafted)


@router.post("/policy-versions/{version_id}/approve")
async def approve(version_id: str, units: Units, officer: PolicyOfficer) -> dict[str, Any]:
    async with units() as uow:
        approved = await policy_register.approve_version(officer, version_id, uow)
    return policy_register.shown(approved)


@router.get("/policy-versions")
async def history(units: Units, _: Reader, program_code: str | None = None
                  ) -> dict[str, Any]:
    async with units.reading() as uow:
        return {"items": await policy_register.history(uow, program_code)}


@router.get("/policy-versions/{version_id}")
async def show(version_id: str, units: Units, _: Reader) -> dict[str, Any]:
    async with units.reading() as uow:
        return policy_register.shown(await uow.policy_drafts.get(version_id))
