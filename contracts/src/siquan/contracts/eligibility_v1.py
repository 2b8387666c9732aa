"""Events published by eligibility (资格确认), major version 1, on `siquan.eligibility`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from siquan.contracts.base import Event, register
from siquan.contracts.topology import RoutingKey
from siquan.contracts.types import DivisionCode, OfficerId, PersonKey, ProgramCode


class _Eligibility(Event):
    producer = "eligibility"


class ApplicationSubmitted(_Eligibility):
    """An officer entered an application for a person and a program (申报)."""

    routing_key = RoutingKey.APPLICATION_SUBMITTED
    application_id: str = Field(description="Application identifier (UUID)")
    program_code: ProgramCode
    category: str = Field(description="Benefit category within the program")
    person_key: PersonKey
    masked_name: str = Field(description="Applicant's name with the given name masked")
    division_code: DivisionCode
    submitted_by: OfficerId
    submitted_at: datetime = Field(description="When the application was entered (UTC)")


class ApplicationReviewed(_Eligibility):
    """The township review (调查审核) approved or rejected an application."""

    routing_key = RoutingKey.APPLICATION_REVIEWED
    application_id: str = Field(description="Application identifier (UUID)")
    program_code: ProgramCode
    person_key: PersonKey
    division_code: DivisionCode
    outcome: Literal["approved", "rejected"] = Field(description="The review's outcome")
    reason: str = Field(default="", description="Why, required when rejected")
    reviewed_by: OfficerId
    reviewed_at: datetime = Field(description="When the review was recorded (UTC)")


class CertificationGranted(_Eligibility):
    """The county approved (审批确认): the person is certified for the program from a date."""

    routing_key = RoutingKey.CERTIFICATION_GRANTED
    certification_id: str = Field(description="Certification identifier (UUID)")
    application_id: str = Field(description="The application this certification decides")
    program_code: ProgramCode
    category: str = Field(description="Benefit category within the program")
    policy_version: str = Field(description="Policy catalogue version granted under")
    person_key: PersonKey
    masked_name: str = Field(description="Beneficiary's name with the given name masked")
    masked_resident_id: str = Field(description="Resident ID as 1101**********1234")
    division_code: DivisionCode
    effective_from: date = Field(description="First day the benefit is owed")
    reviewed_by: OfficerId = Field(description="Officer who did the township review")
    approved_by: OfficerId = Field(description="Officer who approved; never the reviewer")
    approved_at: datetime = Field(description="When the approval was recorded (UTC)")


class CertificationRevoked(_Eligibility):
    """A certification ended (death, loss of status, finding); nothing is owed after it."""

    routing_key = RoutingKey.CERTIFICATION_REVOKED
    certification_id: str = Field(description="Certification identifier (UUID)")
    program_code: ProgramCode
    person_key: PersonKey
    division_code: DivisionCode
    effective_from: date = Field(description="First day nothing is owed any more")
    reason: str = Field(description="Why the certification was revoked")
    revoked_by: OfficerId


class _CertificationChange(_Eligibility):
    certification_id: str = Field(description="Certification identifier (UUID)")
    program_code: ProgramCode
    person_key: PersonKey
    division_code: DivisionCode
    effective_from: date = Field(description="First day the change applies")
    reason: str = Field(description="Why")
    decided_by: OfficerId = Field(description="Officer (or 'system') who decided it")


class CertificationRenewed(_CertificationChange):
    """The yearly re-confirmation renewed a certification until a later date."""

    routing_key = RoutingKey.CERTIFICATION_RENEWED
    valid_until: date = Field(description="Last day the renewed certification is valid")


class CertificationLapsed(_CertificationChange):
    """A certification was not re-confirmed by the deadline; nothing is owed from
    `effective_from` until it is certified again."""

    routing_key = RoutingKey.CERTIFICATION_LAPSED


class CertificationSuspended(_CertificationChange):
    """Payments stop from `effective_from` while a finding is examined."""

    routing_key = RoutingKey.CERTIFICATION_SUSPENDED


class CertificationReinstated(_CertificationChange):
    """A suspension ended; the benefit is owed again from `effective_from`."""

    routing_key = RoutingKey.CERTIFICATION_REINSTATED


register(ApplicationSubmitted, ApplicationReviewed, CertificationGranted, CertificationRevoked,
         CertificationRenewed, CertificationLapsed, CertificationSuspended,
         CertificationReinstated)
