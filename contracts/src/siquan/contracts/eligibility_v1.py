"""Events published by eligibility (资格确认), major version 1, on `siquan.eligibility`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from siquan.contracts.base import Contract, Event, register
from siquan.contracts.officer_activity import OfficerActivity
from siquan.contracts.policy import PolicyVersion
from siquan.contracts.policy_versions import PolicyChanges
from siquan.contracts.topology import RoutingKey
from siquan.contracts.types import (
    ContactPhone,
    DivisionCode,
    HouseholdKey,
    OfficerId,
    PersonKey,
    ProgramCode,
    TownshipCode,
)


class _Eligibility(Event):
    producer = "eligibility"


def _township() -> Any:
    return Field(default=None, description="Township (9 digits) the application belongs to, "
                                           "when it was entered for one")


ReviewStage = Literal["township", "county", "notice_objection", "death_reported"]


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
    township_code: TownshipCode | None = _township()
    import_id: str | None = Field(default=None,
                                  description="The survey import it came from, if any")
    contact_phone: ContactPhone | None = Field(
        default=None,
        description="The applicant's mobile number on file, if given: oversight sends the "
                    "one-time codes that open the person's own statement to it (never shown)")


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
    township_code: TownshipCode | None = _township()
    stage: ReviewStage = Field(
        default="township",
        description="Which decision this is: township review (调查审核), county re-check "
                    "(复核), an upheld notice objection, or the applicant's death")


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
    township_code: TownshipCode | None = _township()
    valid_until: date | None = Field(
        default=None, description="Last day of the confirmation year; renewed yearly")
    notice_id: str | None = Field(default=None,
                                  description="The public notice the entry was posted on")
    household_key: HouseholdKey | None = Field(
        default=None,
        description="The beneficiary's household (户) when the household register has them: "
                    "per-household benefits are paid once per household and an overpayment "
                    "may be offset against a later entitlement of the same household")


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
    date_of_death: date | None = Field(
        default=None, description="Set when revoked for a death public security reported: "
        "the date of death in the household register (benefits end from the month after)")


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


class DeathCorrected(_Eligibility):
    """A death was recorded in error (the wrong person on a line of public security's file,
    a mistaken report) and a county approver who did not record it corrected it, on
    evidence. The person is not dead: every certification the death revoked is active
    again from `reinstated_from`, as if never revoked, so the months not paid meanwhile
    are owed (paid as arrears), and what was found overpaid because of the death is owed
    no more. Every record of the person's death of `date_of_death` is corrected; no
    `certification.reinstated` is published for these certifications."""

    routing_key = RoutingKey.DEATH_CORRECTED
    correction_id: str = Field(description="Identifier of the correction (UUID)")
    report_id: str = Field(description="The death record corrected")
    person_key: PersonKey
    date_of_death: date = Field(description="The date of death recorded in error")
    certification_ids: tuple[str, ...] = Field(
        description="The certifications the death revoked, reinstated by the correction")
    reinstated_from: date = Field(
        description="The first day the death's revocations took effect (the first day of "
                    "the month after the date of death): owed again from then")
    reason: str = Field(description="Why the death was recorded in error")
    recorded_by: OfficerId | None = Field(
        default=None, description="The officer who recorded the death (none for public "
                                  "security's message or file)")
    corrected_by: OfficerId = Field(description="The approver who corrected it; never the "
                                                "officer who recorded it")
    corrected_at: datetime = Field(description="When the correction was recorded (UTC)")


class CertificationTransferred(_Eligibility):
    """A beneficiary moved to another county (跨县迁移): the sending county's approver
    initiated the transfer and the receiving county's approver accepted it. The
    certification keeps its identifier, history and payee account; from `effective_from`
    (the first day of a month) it belongs to `to_division_code`. Every period before it is
    the sending county's to pay, every period from it the receiving county's: no period is
    owed by both or by neither."""

    routing_key = RoutingKey.CERTIFICATION_TRANSFERRED
    transfer_id: str = Field(description="Transfer identifier (UUID)")
    certification_id: str = Field(description="Certification identifier (UUID)")
    program_code: ProgramCode
    category: str = Field(description="Benefit category in force from `effective_from`")
    person_key: PersonKey
    from_division_code: DivisionCode = Field(description="The sending county")
    to_division_code: DivisionCode = Field(description="The receiving county")
    to_township_code: TownshipCode | None = Field(
        default=None, description="The receiving township, when the receiving county named one")
    effective_from: date = Field(description="First day of the first month the receiving "
                                             "county pays")
    initiated_by: OfficerId = Field(description="The sending county's approver")
    accepted_by: OfficerId = Field(description="The receiving county's approver")
    accepted_at: datetime = Field(description="When the transfer was accepted (UTC)")


class CertificationCategoryChanged(_Eligibility):
    """An approver changed the benefit category of a certification (e.g. from the only
    child's disability to the only child's death): the new category's standard is owed from
    `effective_from` (the first day of a month). Periods from then already paid at the old
    standard are paid the difference (or it is recovered) as after a retroactive policy
    change."""

    routing_key = RoutingKey.CERTIFICATION_CATEGORY_CHANGED
    change_id: str = Field(description="Identifier of this change (UUID)")
    certification_id: str = Field(description="Certification identifier (UUID)")
    program_code: ProgramCode
    person_key: PersonKey
    division_code: DivisionCode = Field(description="The county the certification belongs "
                                                    "to from `effective_from`")
    from_category: str = Field(description="The category in force before")
    to_category: str = Field(description="The category in force from `effective_from`")
    effective_from: date = Field(description="First day of the first month of the new "
                                             "category")
    reason: str = Field(description="Why")
    decided_by: OfficerId = Field(description="The approver who recorded it")
    decided_at: datetime = Field(description="When it was recorded (UTC)")


class CommunityReviewEntry(Contract):
    """One application's outcome at a community review meeting."""

    application_id: str = Field(description="Application identifier (UUID)")
    person_key: PersonKey
    outcome: Literal["passed", "failed"] = Field(description="The meeting's verdict")
    reason: str = Field(default="", description="Why, required when failed")


class CommunityReviewRecorded(_Eligibility):
    """A village or township meeting reviewed applications (群众评议). A meeting with many
    entries is published in parts of at most a few hundred entries, numbered `part` of
    `parts`; each part carries the meeting's facts."""

    routing_key = RoutingKey.COMMUNITY_REVIEW_RECORDED
    review_id: str = Field(description="Community review (meeting) identifier (UUID)")
    division_code: DivisionCode
    township_code: TownshipCode | None = _township()
    held_on: date = Field(description="Day the meeting was held")
    present: int = Field(ge=1, description="Number of people present")
    recorded_by: OfficerId = Field(description="Officer who recorded the meeting")
    recorded_at: datetime = Field(description="When it was recorded (UTC)")
    part: int = Field(ge=1, description="This message's part number, from 1")
    parts: int = Field(ge=1, description="How many parts the meeting's entries fill")
    entries: tuple[CommunityReviewEntry, ...] = Field(
        description="The outcomes recorded in this part")


class NoticeEntry(Contract):
    """One line of a public notice: masked, as it is posted (张榜公示)."""

    application_id: str = Field(description="Application identifier (UUID)")
    category: str = Field(description="Benefit category within the program")
    masked_name: str = Field(description="Applicant's name with the given name masked")
    masked_resident_id: str = Field(description="Resident ID as 1101**********1234")
    township_code: TownshipCode | None = _township()


class NoticePublished(_Eligibility):
    """A public notice of township-reviewed applications is posted; anyone may object
    (through oversight) until `closes_on`. Its entries come in parts of at most a few
    hundred, numbered `part` of `parts`; each part carries the notice's facts."""

    routing_key = RoutingKey.NOTICE_PUBLISHED
    notice_id: str = Field(description="Notice identifier (UUID)")
    program_code: ProgramCode
    policy_version: str = Field(description="Policy version whose notice period applies")
    division_code: DivisionCode
    township_code: TownshipCode | None = _township()
    published_on: date = Field(description="First day the notice is posted")
    closes_on: date = Field(description="Day the notice closes (published_on + notice_days)")
    notice_days: int = Field(ge=0, description="Days the notice stays posted (policy)")
    published_by: OfficerId = Field(description="Officer who published the notice")
    total_entries: int = Field(ge=0, description="Entries on the whole notice")
    part: int = Field(ge=1, description="This message's part number, from 1")
    parts: int = Field(ge=1, description="How many parts the notice's entries fill")
    entries: tuple[NoticeEntry, ...] = Field(description="The entries posted in this part")


class NoticeClosed(_Eligibility):
    """A public notice's period ended. Entries with an objection still open stay blocked
    until oversight resolves it; the others may go to county re-check and approval."""

    routing_key = RoutingKey.NOTICE_CLOSED
    notice_id: str = Field(description="Notice identifier (UUID)")
    program_code: ProgramCode
    division_code: DivisionCode
    township_code: TownshipCode | None = _township()
    closed_on: date = Field(description="Day the notice closed")
    total_entries: int = Field(ge=0, description="Entries on the notice")
    blocked_application_ids: tuple[str, ...] = Field(
        description="Entries with an objection still open when the notice closed")


class PersonRecordRead(_Eligibility):
    """An officer read a person's record (an application, its evidence or a certification):
    who, when, which person, what and why. Oversight keeps every read and flags unusual
    volume."""

    routing_key = RoutingKey.PERSON_RECORD_READ
    read_id: str = Field(description="Identifier of this read (UUID)")
    person_key: PersonKey
    officer_id: OfficerId
    officer_division: str = Field(pattern=r"^\d{6}(\d{3})?$",
                                  description="The reading officer's county or township",
                                  examples=["420117001"])
    record: Literal["application", "evidence", "certification"] = Field(
        description="What kind of record was read")
    record_id: str = Field(min_length=1, max_length=64, description="Which record")
    purpose: str = Field(min_length=1, max_length=200,
                         description="Why, as the officer stated it",
                         examples=["complaint TS-2026-000123"])
    read_at: datetime = Field(description="When (UTC)")


class EligibilityOfficerActivity(OfficerActivity):
    """A login, failed login or administrator's action on an officer account of
    eligibility's console and API."""

    producer = "eligibility"
    routing_key = RoutingKey.ELIGIBILITY_OFFICER_ACTIVITY


_POLICY_EXAMPLE: dict[str, Any] = {
    "program_code": "special_assistance", "version": "hubei-2026-raise",
    "name_zh": "独生子女死亡/伤残家庭特别扶助",
    "name_en": "Special assistance for families whose only child died or is disabled",
    "effective_from": "2026-07-01", "frequency": "monthly", "notice_days": 7,
    "eligibility": {"residence": "any", "family_types": ["only_child_died",
                                                         "only_child_disabled"],
                    "min_age": 49, "age_start": "month_after",
                    "start_rule": "from the month after the parent turns 49",
                    "end_rule": "on the parent's death"},
    "benefits": [{"category": "death", "label_zh": "独生子女死亡", "amount_fen": 25000,
                  "when": {"family_types": ["only_child_died"]}},
                 {"category": "disability", "label_zh": "独生子女伤残", "amount_fen": 15000,
                  "when": {"family_types": ["only_child_disabled"],
                           "disability_grades": [1, 2, 3]}}],
    "fiscal_shares": {"central": 5000, "provincial": 2500, "municipal": 1000, "county": 1500},
    "citation": {"document": "鄂卫健发〔2026〕12号",
                 "clause": "自 2026 年 7 月起独生子女死亡家庭特别扶助金提高至每人每月 250 元"}}


class PolicyVersionPublished(_Eligibility):
    """A policy version drafted by one policy officer, approved by another and published
    with its effective date (eligibility's policy register). Every service layers it over
    its catalogue without restart (`siquan.contracts.policy_versions`); a version whose
    effective date lies before periods already paid is paid as top-ups in the next run."""

    routing_key = RoutingKey.POLICY_VERSION_PUBLISHED
    version_id: str = Field(description="The register's identifier of the version (UUID)")
    program_code: ProgramCode
    version: str = Field(description="The version's label, unique within the program",
                         examples=["hubei-2026-raise"])
    base_version: str = Field(description="The version in force it changes, on its day")
    effective_from: date = Field(description="First day it is in force")
    changes: PolicyChanges = Field(description="The fields it changes over its base",
                                   examples=[{"amounts_fen": {"death": 25000}}])
    policy: PolicyVersion = Field(description="The whole version the changes make of the "
                                              "base: what every service applies",
                                  examples=[_POLICY_EXAMPLE])
    drafted_by: OfficerId = Field(description="The policy officer who drafted it")
    approved_by: OfficerId = Field(description="The other policy officer who approved it")
    published_at: datetime = Field(description="When it was approved and published (UTC)")


register(ApplicationSubmitted, ApplicationReviewed, CertificationGranted, CertificationRevoked,
         CertificationRenewed, CertificationLapsed, CertificationSuspended,
         CertificationReinstated, CertificationTransferred, CertificationCategoryChanged,
         DeathCorrected, CommunityReviewRecorded, NoticePublished, NoticeClosed,
         PersonRecordRead, PolicyVersionPublished)
register(EligibilityOfficerActivity)
