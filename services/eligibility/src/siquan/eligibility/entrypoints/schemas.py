"""The request bodies of eligibility's operator API, validated at the edge, and the
dependency that opens units of work for the endpoints."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, Request
from pydantic import AfterValidator, BaseModel, Field

from siquan.contracts.household import HouseholdFacts
from siquan.contracts.types import ContactPhone, ProgramCode, ResidentId
from siquan.eligibility.adapters.unit_of_work import EligibilityWork
from siquan.eligibility.domain.divisions import split_division
from siquan.eligibility.domain.reconfirmation import Method
from siquan.shared.unit_of_work import UnitsOfWork


def _local_division(value: str) -> str:
    split_division(value)
    return value


LocalDivision = Annotated[str, AfterValidator(_local_division), Field(
    description="County (6 digits) or township (9 digits) code", examples=["420117001"])]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


def _units(request: Request) -> UnitsOfWork[EligibilityWork]:
    units: UnitsOfWork[EligibilityWork] = request.app.state.runtime.units
    return units


Units = Annotated[UnitsOfWork[EligibilityWork], Depends(_units)]
"""FastAPI dependency: opens eligibility's units of work (`async with units() as uow`)."""


class SubmitApplication(BaseModel):
    resident_id: ResidentId
    name: str = Field(min_length=1, max_length=50, description="Applicant's full name")
    program_code: ProgramCode
    category: str = Field(min_length=1, description="Benefit category within the program")
    division_code: LocalDivision
    eligible_from: date = Field(description="First day the applicant qualifies")
    household: HouseholdFacts | None = Field(
        default=None, description="The household's facts; checked against the policy")
    contact_phone: ContactPhone | None = Field(
        default=None, description="The applicant's mobile number: the person proves control of "
                                  "it to read their own statement (never shown or stored here)")


class Rejection(BaseModel):
    application_id: str
    reason: Reason


class ReviewApplication(BaseModel):
    outcome: Literal["approved", "rejected"]
    reason: str = Field(default="", max_length=500)


class CommunityReview(BaseModel):
    division_code: LocalDivision = Field(description="Where the meeting was held")
    held_on: date
    present: int = Field(ge=1, description="Number of people present")
    passed: list[str] = Field(default=[], description="Applications the meeting supported")
    failed: list[Rejection] = Field(default=[], description="Applications it did not")


class TownshipReviews(BaseModel):
    approved: list[str] = Field(default=[])
    rejected: list[Rejection] = Field(default=[])


class PublishNotice(BaseModel):
    program_code: ProgramCode
    division_code: LocalDivision
    application_ids: list[str] | None = Field(
        default=None, description="Default: every township-reviewed application waiting")


class Approvals(BaseModel):
    notice_id: str | None = Field(default=None, description="Approve a closed notice's entries")
    application_ids: list[str] = Field(default=[], description="Or these applications")
    rejected: list[Rejection] = Field(default=[], description="Rejected at the re-check")


class Renewals(BaseModel):
    year: int = Field(ge=2000, le=2100, description="The year re-confirmed")
    certification_ids: list[str] = Field(min_length=1)
    method: Method = Field(description="How each was re-confirmed: in_person, village_visit, "
                                       "survival_check or partner_data")
    evidence_reference: str | None = Field(
        default=None, min_length=1, max_length=200, pattern=r"\S",
        description="Where the evidence is kept (a file number, a receipt)")


class CertificationDecision(BaseModel):
    reason: Reason
    effective_from: date | None = Field(default=None, description="Default: today")
