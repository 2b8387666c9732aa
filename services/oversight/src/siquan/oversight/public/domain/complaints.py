"""Complaints, reports and objections (举报/投诉/异议): their categories and deadlines,
tracking numbers, and the steps a complaint goes through (open → escalated when overdue →
resolved with an outcome and a reason)."""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Literal, get_args

from siquan.contracts.oversight_v1 import ComplaintCategory
from siquan.oversight.public.domain.calendar import WorkCalendar
from siquan.shared.errors import InvalidRequest, Refused

CATEGORIES: tuple[str, ...] = get_args(ComplaintCategory)
OBJECTION = "notice_objection"
CATEGORY_LABELS: dict[str, str] = {
    "not_paid_in_full": "未足额领取 (not paid in full or on time)",
    "ineligible_paid_or_listed": "不符合条件者领取或上榜 (an ineligible person is paid or listed)",
    "officer_misconduct": "工作人员违纪 (officer misconduct)",
    "notice_objection": "对公示名单的异议 (objection to a public notice entry)",
}
DEFAULT_SLA_WORKING_DAYS: dict[str, int] = {
    "not_paid_in_full": 15,
    "ineligible_paid_or_listed": 15,
    "officer_misconduct": 15,
    "notice_objection": 5,
}

Channel = Literal["web", "hotline"]
Status = Literal["open", "escalated", "resolved"]
Outcome = Literal["upheld", "dismissed"]

TRACKING_NUMBER = re.compile(r"^TS-\d{4}-[A-Z2-7]{16}$")
TRACKING_TOKEN_BYTES = 10  # 80 random bits: 16 base32 characters


def sla_working_days(overrides: Mapping[str, int]) -> dict[str, int]:
    """The SLA per category: the defaults, with the configured overrides."""
    unknown = set(overrides) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"complaint SLA for unknown categories: {sorted(unknown)}")
    if any(days < 1 for days in overrides.values()):
        raise ValueError("a complaint SLA is at least one working day")
    return {**DEFAULT_SLA_WORKING_DAYS, **overrides}


def due_on(category: str, filed_on: date, calendar: WorkCalendar, sla: Mapping[str, int],
           notice_closes_on: date | None = None) -> date:
    """The day a complaint must be resolved by. An objection is due within its notice
    (so the approval it blocks is not held up), yet never sooner than the next working
    day, and never later than its own SLA."""
    due = calendar.add_working_days(filed_on, sla[category])
    if category == OBJECTION and notice_closes_on is not None:
        due = max(min(due, notice_closes_on), calendar.add_working_days(filed_on, 1))
    return due


def tracking_number(year: int, token: bytes) -> str:
    """`TS-2026-` and 16 base32 characters from 10 random bytes: unguessable."""
    if len(token) != TRACKING_TOKEN_BYTES:
        raise ValueError(f"a tracking number needs {TRACKING_TOKEN_BYTES} random bytes")
    return f"TS-{year:04d}-{base64.b32encode(token).decode('ascii')}"


def normalise_tracking_number(value: str) -> str | None:
    candidate = value.strip().upper()
    return candidate if TRACKING_NUMBER.match(candidate) else None


@dataclass(frozen=True)
class ComplaintState:
    """What the handling steps need to know about a complaint."""

    complaint_id: str
    status: Status
    division_code: str

    def check_assignable(self) -> None:
        if self.status == "resolved":
            raise Refused(f"complaint {self.complaint_id} is resolved; it takes no handler")

    def check_resolvable(self) -> None:
        if self.status == "resolved":
            raise Refused(f"complaint {self.complaint_id} is already resolved")


def is_overdue(status: Status, due_at: datetime, now: datetime) -> bool:
    return status == "open" and now >= due_at


@dataclass(frozen=True)
class Complaint:
    """One complaint as its table holds it."""

    complaint_id: str
    tracking_number: str
    category: str
    channel: Channel
    anonymous: bool
    division_code: str
    application_id: str | None
    person_key: str | None
    description: str
    contact: str | None
    status: Status
    handler: str | None
    filed_at: datetime
    due_at: datetime
    escalated_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: Outcome | None = None
    resolution: str | None = None

    @property
    def state(self) -> ComplaintState:
        return ComplaintState(self.complaint_id, self.status, self.division_code)

    def due_day(self, zone: tzinfo) -> date:
        """The last local day to resolve it on (its deadline is that day's end)."""
        return (self.due_at - timedelta(microseconds=1)).astimezone(zone).date()

    def as_public(self, zone: tzinfo) -> dict[str, Any]:
        """What the complainant may look up: never their contact, the description they
        wrote, or anything about the people the complaint concerns."""
        return {"tracking_number": self.tracking_number, "category": self.category,
                "category_label": CATEGORY_LABELS[self.category], "channel": self.channel,
                "status": self.status, "filed_at": _iso(self.filed_at),
                "due_on": self.due_day(zone).isoformat(),
                "due_at": _iso(self.due_at), "escalated_at": _iso(self.escalated_at),
                "handler_assigned": self.handler is not None,
                "resolved_at": _iso(self.resolved_at), "outcome": self.outcome,
                "resolution": self.resolution}

    def as_officer(self) -> dict[str, Any]:
        return {"complaint_id": self.complaint_id, "tracking_number": self.tracking_number,
                "category": self.category, "channel": self.channel,
                "anonymous": self.anonymous, "division_code": self.division_code,
                "application_id": self.application_id, "person_key": self.person_key,
                "description": self.description, "contact": self.contact,
                "status": self.status, "handler": self.handler,
                "filed_at": _iso(self.filed_at), "due_at": _iso(self.due_at),
                "escalated_at": _iso(self.escalated_at),
                "resolved_at": _iso(self.resolved_at), "outcome": self.outcome,
                "resolution": self.resolution}


def _iso(instant: datetime | None) -> str | None:
    return instant.astimezone(UTC).isoformat() if instant is not None else None


class FieldRefused(InvalidRequest):
    """A complaint's field is refused (422), with the field named."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason
