"""Events published by oversight (社会监督), major version 1, on `siquan.oversight`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from siquan.contracts.base import Event, register
from siquan.contracts.officer_activity import OfficerActivity
from siquan.contracts.topology import RoutingKey
from siquan.contracts.types import Fen, OfficerId, Period, PersonKey, ProgramCode

EvidenceReference = Annotated[
    str, Field(min_length=1, max_length=500,
               description="One reference to evidence: a document number, finding or payment "
                           "id, never personal data")]


class _Oversight(Event):
    producer = "oversight"


class AuditCheckpoint(_Oversight):
    """The audit chain's head, published so outsiders can pin it."""

    routing_key = RoutingKey.AUDIT_CHECKPOINT
    sequence: int = Field(ge=0, description="Sequence number of the head entry")
    head_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the head entry")
    at: datetime = Field(description="When the checkpoint was taken (UTC)")


class HoldPlaced(_Oversight):
    """Payments to a person are held until an auditor lifts the hold."""

    routing_key = RoutingKey.HOLD_PLACED
    hold_id: str = Field(description="Hold identifier (UUID)")
    person_key: PersonKey
    program_code: ProgramCode | None = Field(default=None, description="None: every program")
    reason: str = Field(description="Why the hold was placed")
    placed_by: OfficerId
    evidence: tuple[EvidenceReference, ...] = Field(
        default=(), max_length=20,
        description="References to what the hold rests on (documents, findings, payments); "
                    "empty for a hold oversight's rules placed on a finding (named in reason)")
    placed_at: datetime | None = Field(default=None,
                                       description="When (UTC); absent in older events")


class HoldLifted(_Oversight):
    """A hold is lifted; the person may be paid again."""

    routing_key = RoutingKey.HOLD_LIFTED
    hold_id: str = Field(description="Hold identifier (UUID)")
    person_key: PersonKey
    reason: str = Field(description="Why the hold was lifted")
    lifted_by: OfficerId
    lifted_at: datetime = Field(description="When (UTC)")


class RunHoldPlaced(_Oversight):
    """An auditor holds a payment run: disbursement pays none of its payments still unpaid
    until the hold is lifted (what the bank already took stays as it is)."""

    routing_key = RoutingKey.RUN_HOLD_PLACED
    hold_id: str = Field(description="Hold identifier (UUID)")
    run_id: str = Field(min_length=1, max_length=64, description="The payment run held")
    reason: str = Field(description="Why the run is held")
    evidence: tuple[EvidenceReference, ...] = Field(
        min_length=1, max_length=20, description="References to what the hold rests on")
    placed_by: OfficerId
    placed_at: datetime = Field(description="When (UTC)")


class RunHoldLifted(_Oversight):
    """A run's hold is lifted; disbursement pays the run's unpaid payments again."""

    routing_key = RoutingKey.RUN_HOLD_LIFTED
    hold_id: str = Field(description="Hold identifier (UUID)")
    run_id: str = Field(min_length=1, max_length=64, description="The payment run released")
    reason: str = Field(description="Why the hold was lifted")
    lifted_by: OfficerId
    lifted_at: datetime = Field(description="When (UTC)")


ComplaintCategory = Literal[
    "not_paid_in_full",          # 未足额领取: did not receive the full amount on time
    "ineligible_paid_or_listed",  # an ineligible person is paid or listed
    "officer_misconduct",
    "notice_objection",          # objection to a public notice entry
]


class ComplaintFiled(_Oversight):
    """A complaint, report or objection was taken in. An objection to a notice entry names
    the application; eligibility blocks that approval until the complaint is resolved."""

    routing_key = RoutingKey.COMPLAINT_FILED
    complaint_id: str = Field(description="Complaint identifier (UUID)")
    tracking_number: str = Field(description="The number the complainant can look up")
    category: ComplaintCategory = Field(description="What the complaint is about")
    application_id: str | None = Field(default=None,
                                       description="The application objected to, if any")
    person_key: PersonKey | None = Field(default=None,
                                         description="The person concerned, if known")
    division_code: str = Field(pattern=r"^\d{6}(\d{3})?$",
                               description="County (6 digits) or township (9 digits)")
    filed_at: datetime = Field(description="When it was filed (UTC)")


class ComplaintResolved(_Oversight):
    """A complaint is closed with an outcome and a reason."""

    routing_key = RoutingKey.COMPLAINT_RESOLVED
    complaint_id: str = Field(description="Complaint identifier (UUID)")
    application_id: str | None = Field(default=None,
                                       description="The application objected to, if any")
    outcome: Literal["upheld", "dismissed"] = Field(
        description="upheld: the complaint was right; dismissed: it was not")
    resolution: str = Field(min_length=1, description="The reason for the outcome")
    resolved_by: OfficerId
    resolved_at: datetime = Field(description="When (UTC)")


FindingCategory = Literal["wrong_eligibility_decision", "wrong_payment", "breach_of_discipline"]


class FindingRaised(_Oversight):
    """An accountability finding (三追究) with its evidence and the decision it asks for."""

    routing_key = RoutingKey.FINDING_RAISED
    finding_id: str = Field(description="Finding identifier (UUID)")
    category: FindingCategory = Field(description="Which of the three accountabilities")
    rule: str = Field(description="The reconciliation rule that was broken")
    certification_id: str | None = Field(default=None,
                                         description="The certification concerned, if any")
    person_key: PersonKey | None = Field(default=None, description="The person concerned")
    officer_id: OfficerId | None = Field(default=None,
                                         description="The officer the decision traces to")
    evidence: tuple[str, ...] = Field(description="Message ids of the events that show it")
    decision: Literal["none", "suspend", "revoke"] = Field(
        description="What eligibility is asked to do with the certification")
    reason: str = Field(description="What was found")
    raised_at: datetime = Field(description="When (UTC)")
    application_id: str | None = Field(default=None,
                                       description="The application concerned, if any")
    run_id: str | None = Field(default=None, description="The payment run concerned, if any")
    program_code: ProgramCode | None = Field(default=None,
                                             description="The program concerned, if any")
    period: Period | None = Field(default=None, description="The benefit period, if any")
    division_code: str | None = Field(default=None, pattern=r"^\d{6}$",
                                      description="The county concerned, if any")
    amount_fen: Fen | None = Field(default=None,
                                   description="The money at stake (paid wrongly, unpaid, "
                                               "or the difference from the policy)")


class FindingResolved(_Oversight):
    """An auditor closed an accountability finding: confirmed (the breach happened and was
    dealt with) or dismissed (it was not a breach), with the reason."""

    routing_key = RoutingKey.FINDING_RESOLVED
    finding_id: str = Field(description="Finding identifier (UUID)")
    outcome: Literal["confirmed", "dismissed"] = Field(
        description="confirmed: the breach happened; dismissed: it was not a breach")
    resolution: str = Field(min_length=1, description="The reason for the outcome")
    resolved_by: OfficerId
    resolved_at: datetime = Field(description="When (UTC)")


class OversightOfficerActivity(OfficerActivity):
    """A login, failed login or administrator's action on an officer account of
    oversight's console and API."""

    producer = "oversight"
    routing_key = RoutingKey.OVERSIGHT_OFFICER_ACTIVITY


register(AuditCheckpoint, HoldPlaced, HoldLifted, RunHoldPlaced, RunHoldLifted, ComplaintFiled,
         ComplaintResolved, FindingRaised, FindingResolved)
register(OversightOfficerActivity)
