"""The application aggregate and its path through the cycle (资格确认):

submitted → community_reviewed (群众评议) → township_reviewed (调查审核) → on_notice
(张榜公示) → notice_closed → certified (复核/审批); any review may end it as rejected.

Rules checked here: each step needs the step before it; a rejection needs a reason; the
clerk who entered an application cannot review it; the county approver is none of the
clerk, the community-review recorder and the township reviewer (separation of duties,
四权分离 inside the eligibility power too); approval waits while an objection is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from siquan.eligibility.domain.divisions import scope_of
from siquan.eligibility.domain.errors import Refused

Status = Literal["submitted", "community_reviewed", "township_reviewed", "on_notice",
                 "notice_closed", "certified", "rejected"]
Outcome = Literal["approved", "rejected"]
RejectionStage = Literal["community", "township", "county", "notice_objection",
                         "death_reported"]
LIVE: tuple[Status, ...] = ("submitted", "community_reviewed", "township_reviewed",
                            "on_notice", "notice_closed")


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
    township_code: str | None = None
    status: Status = "submitted"
    community_review_id: str | None = None
    community_reviewed_by: str | None = None
    community_reviewed_at: datetime | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_reason: str = ""
    notice_id: str | None = None
    approved_by: str | None = None
    approved_at: datetime | None = None
    rejected_stage: RejectionStage | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    open_objections: int = 0

    @property
    def scope(self) -> str:
        return scope_of(self.division_code, self.township_code)

    @property
    def live(self) -> bool:
        return self.status in LIVE

    def _expect(self, status: Status, step: str) -> None:
        if self.status != status:
            raise Refused(f"application {self.id} is {self.status}; {step} needs it "
                          f"{status}")

    def record_community_review(self, officer: str, review_id: str, passed: bool,
                                reason: str, at: datetime) -> None:
        self._expect("submitted", "a community review")
        if not passed and not reason.strip():
            raise Refused(f"application {self.id}: a failed community review needs a reason")
        self.community_review_id, self.community_reviewed_by = review_id, officer
        self.community_reviewed_at = at
        if passed:
            self.status = "community_reviewed"
        else:
            self._reject("community", officer, reason, at)

    def review(self, officer: str, outcome: Outcome, reason: str, at: datetime) -> None:
        self._expect("community_reviewed", "the township review")
        if outcome == "rejected" and not reason.strip():
            raise Refused("a rejection needs a reason")
        if officer == self.submitted_by:
            raise Refused(f"officer {officer} entered this application and cannot review it")
        self.reviewed_by, self.reviewed_at, self.review_reason = officer, at, reason
        if outcome == "approved":
            self.status = "township_reviewed"
        else:
            self._reject("township", officer, reason, at)

    def post_on_notice(self, notice_id: str, program_code: str, division: str) -> None:
        """Post on a notice of `program_code` for `division` (a county or township)."""
        if self.program_code != program_code:
            raise Refused(f"application {self.id} is for {self.program_code}, not "
                          f"{program_code}")
        if not self.scope.startswith(division):
            raise Refused(f"application {self.id} belongs to {self.scope}, not to {division}")
        self._expect("township_reviewed", "a public notice")
        self.status, self.notice_id = "on_notice", notice_id

    def close_notice(self) -> None:
        self._expect("on_notice", "closing the notice")
        self.status = "notice_closed"

    def check_approver(self, officer: str) -> None:
        """Refuse an approver who took part in an earlier step."""
        if officer == self.reviewed_by:
            raise Refused(f"officer {officer} reviewed this application and cannot also "
                          "approve it")
        if officer == self.submitted_by:
            raise Refused(f"officer {officer} entered this application and cannot approve it")
        if officer == self.community_reviewed_by:
            raise Refused(f"officer {officer} recorded this application's community review "
                          "and cannot approve it")

    def approve(self, officer: str, at: datetime) -> None:
        if self.status == "on_notice":
            raise Refused(f"application {self.id} is still on public notice; it can be "
                          "approved only after the notice closes")
        self._expect("notice_closed", "approval")
        self.check_approver(officer)
        if self.open_objections:
            raise Refused(f"application {self.id} has an open objection; approval waits "
                          "until oversight resolves it")
        self.status, self.approved_by, self.approved_at = "certified", officer, at
        self.decided_by, self.decided_at = officer, at

    def reject_at_county(self, officer: str, reason: str, at: datetime) -> None:
        self._expect("notice_closed", "the county re-check")
        if not reason.strip():
            raise Refused(f"application {self.id}: a rejection needs a reason")
        self.check_approver(officer)
        self._reject("county", officer, reason, at)

    def end(self, stage: RejectionStage, by: str, reason: str, at: datetime) -> bool:
        """Reject a live application for an outside reason (upheld objection, death);
        False when it is no longer live."""
        if not self.live:
            return False
        self._reject(stage, by, reason, at)
        return True

    def end_for_death(self, date_of_death: date, at: datetime) -> bool:
        """The applicant died: a live application ends (False when it had already)."""
        return self.end("death_reported", "system", f"applicant died on {date_of_death}", at)

    def _reject(self, stage: RejectionStage, by: str, reason: str, at: datetime) -> None:
        self.status, self.rejected_stage = "rejected", stage
        self.decided_by, self.decided_at, self.review_reason = by, at, reason
