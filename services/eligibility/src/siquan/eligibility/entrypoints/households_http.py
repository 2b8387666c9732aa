"""The household register over HTTP (户籍/家庭), for township reviewers and county
approvers, each within their division:

- `POST /households`: register a household (its register number, division, shared facts
  and members with their relationship to the head): 201; the same household again: 200,
  `already_registered`; the number registered with other members or facts: 409.
- `POST /households/{id}/members`: add a member (201; already a member as named: 200).
- `POST /households/{id}/members/removal`: a member leaves (200 `removed`, or
  `already_removed`); the resident ID travels in the body, never in a URL.
- `PUT /households/{id}/facts`: correct the shared facts (the register is their source for
  every member's application).
- `GET /households/{id}`: the household with masked names and resident IDs.

Answers never carry the register number or a full resident ID."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from siquan.contracts.household import Child, FamilyType, Residence
from siquan.contracts.types import ResidentId
from siquan.eligibility.application import households
from siquan.eligibility.domain.household_register import Relationship
from siquan.eligibility.entrypoints.schemas import LocalDivision, Reason, Units
from siquan.shared.auth import Officer, require_role

router = APIRouter()
Registrar = Annotated[Officer, Depends(require_role("township_reviewer", "county_approver"))]
Reader = Annotated[Officer, Depends(require_role(
    "clerk", "township_reviewer", "county_approver", "auditor"))]


class SharedFacts(BaseModel):
    """The facts every member's application shares (see `siquan.contracts.household`)."""

    residence: Residence = Field(description="Household registration: rural or urban")
    family_type: FamilyType
    children: list[Child] = Field(default=[], max_length=20)
    holds_one_child_certificate: bool = False
    gave_up_second_child: bool = False
    in_hardship: bool = False
    on_minimum_living_allowance: bool = False


class MemberIn(BaseModel):
    resident_id: ResidentId
    name: str = Field(min_length=1, max_length=50)
    relationship: Relationship = Field(description="head (户主), spouse, child, parent, other")

    def command(self) -> households.NewMember:
        return households.NewMember(self.resident_id, self.name, self.relationship)


class RegisterHousehold(BaseModel):
    household_number: str = Field(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z-]+$",
                                  description="The household register number (户号)")
    division_code: LocalDivision
    facts: SharedFacts
    members: list[MemberIn] = Field(min_length=1, max_length=50)


class Removal(BaseModel):
    resident_id: ResidentId
    reason: Reason


def _facts(facts: SharedFacts) -> dict[str, Any]:
    return facts.model_dump(mode="json")


@router.post("/households", status_code=201)
async def register(body: RegisterHousehold, units: Units, officer: Registrar,
                   response: Response) -> dict[str, Any]:
    command = households.RegisterHousehold(
        officer, body.household_number, body.division_code, _facts(body.facts),
        [m.command() for m in body.members])
    async with units() as uow:
        household, created = await households.register(command, uow)
    if not created:
        response.status_code = 200
    return {**household, "status": "registered" if created else "already_registered"}


@router.post("/households/{household_id}/members", status_code=201)
async def add_member(household_id: str, body: MemberIn, units: Units, officer: Registrar,
                     response: Response) -> dict[str, Any]:
    command = households.AddMember(officer, household_id, body.command())
    async with units() as uow:
        household, added = await households.add_member(command, uow)
    if not added:
        response.status_code = 200
    return {**household, "status": "added" if added else "already_member"}


@router.post("/households/{household_id}/members/removal")
async def remove_member(household_id: str, body: Removal, units: Units, officer: Registrar
                        ) -> dict[str, Any]:
    command = households.RemoveMember(officer, household_id, body.resident_id, body.reason)
    async with units() as uow:
        household, removed = await households.remove_member(command, uow)
    return {**household, "status": "removed" if removed else "already_removed"}


@router.put("/households/{household_id}/facts")
async def correct_facts(household_id: str, body: SharedFacts, units: Units,
                        officer: Registrar) -> dict[str, Any]:
    command = households.CorrectFacts(officer, household_id, _facts(body))
    async with units() as uow:
        return await households.correct_facts(command, uow)


@router.get("/households/{household_id}")
async def show(household_id: str, units: Units, officer: Reader) -> dict[str, Any]:
    async with units.reading() as uow:
        return await households.show(uow, officer, household_id)
