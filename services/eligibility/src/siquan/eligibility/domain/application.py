"""The application aggregate: submitted → reviewed (approved or rejected) → certified.

Rules checked here: a review needs a submitted application and a reason to reject; the
approval needs a favourable review and an approver who neither reviewed nor submitted it
(separation of duties, 四权分离 inside the eligibility power too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from siquan.eligibility.domain.errors import Refused

Status = Literal["submitted", "reviewed", "rejected", "certified"]


@dataclass
class Application:
    id: str
    program_code: str
    category: str
    person_key: str
    masked_name: str
    masked_resident_id: str
    division_code: str
    eligible_from: date
    submitted_by: str
    submitted_at: datetime
    status: Status = "submitted"
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_reason: str = ""
    approved_by: str | None = None
    approved_at: datetime | None = None

    def review(self, officer: str, outcome: Literal["approved", "rejected"], reason: str,
               at: datetime) -> None:
        if self.status != "submitted":
            raise Refused(f"application is {self.status}, only a submitted one can be reviewed")
        if outcome == "rejected" and not reason.strip():
            raise Refused("a rejection needs a reason")
        if officer == self.submitted_by:
            raise Refused("the officer who entered the application cannot review it")
        self.status = "reviewed" if outcome == "approved" else "rejected"
        self.reviewed_by, self.reviewed_at, self.review_reason = officer, at, reason

    def approve(self, officer: str, at: datetime) -> None:
        if self.status != "reviewed":
            raise Refused(f"application is {self.status}; only a favourably reviewed "
                          "application can be approved")
        if officer == self.reviewed_by:
            raise Refused(f"officer {officer} reviewed this application and cannot also "
                          "approve it")
        if officer == self.submitted_by:
            raise Refused(f"officer {officer} entered this application and cannot approve it")
        self.status = "certified"
        self.approved_by, self.approved_at = officer, at
