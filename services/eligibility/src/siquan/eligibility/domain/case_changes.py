"""Case changes after certification: a beneficiary's transfer to another county (跨县迁移)
and a change of benefit category.

A transfer is a hand-over by both counties: the sending county's approver initiates it
with the receiving county and the month the move takes effect; the receiving county's
approver accepts it (the certification, with its history, then belongs to the receiving
county from that month) or refuses it with a reason. Each approver acts only within their
own county. A certification has at most one transfer pending.

A change of category is recorded by an approver of the certification's county with a
reason and the month the new category applies from.

Both take effect on the first day of a month, never before the certification starts nor
before an earlier transfer or category change of it takes effect, so what the
certification is (county, category) is one value per month for every service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from siquan.eligibility.domain.certification import Certification
from siquan.eligibility.domain.errors import InvalidRequest, Refused

TransferStatus = Literal["pending", "accepted", "refused"]


def county_of(division_code: str) -> str:
    return division_code[:6]


def check_effective_month(day: date, certification: Certification,
                          latest_change: date | None) -> None:
    """A change takes effect on the first day of a month, within the certification's term,
    never before an earlier change of it."""
    if day.day != 1:
        raise InvalidRequest("a case change takes effect on the first day of a month")
    if day < date(certification.effective_from.year, certification.effective_from.month, 1):
        raise Refused(f"certification {certification.id} starts on "
                      f"{certification.effective_from}; a change cannot take effect before")
    if latest_change is not None and day < latest_change:
        raise Refused(f"certification {certification.id} already changed from {latest_change};"
                      " a later change cannot take effect before it")


@dataclass
class Transfer:
    id: str
    certification_id: str
    from_division_code: str
    to_division_code: str
    to_township_code: str | None
    effective_from: date
    reason: str
    initiated_by: str
    initiated_at: datetime
    status: TransferStatus = "pending"
    decided_by: str | None = None
    decided_at: datetime | None = None
    refusal_reason: str | None = None

    @classmethod
    def initiate(cls, transfer_id: str, certification: Certification, *,
                 to_division_code: str, to_township_code: str | None,
                 effective_from: date, reason: str, by: str, at: datetime,
                 latest_change: date | None) -> Transfer:
        if not certification.live:
            raise Refused(f"certification {certification.id} is {certification.status} and "
                          "cannot be transferred")
        if not reason.strip():
            raise InvalidRequest("a transfer needs a reason")
        if len(to_division_code) != 6:
            raise InvalidRequest("a transfer goes to a county (6 digits)")
        if to_township_code is not None and county_of(to_township_code) != to_division_code:
            raise InvalidRequest("the receiving township is not in the receiving county")
        if to_division_code == county_of(certification.division_code):
            raise Refused("the certification already belongs to that county")
        check_effective_month(effective_from, certification, latest_change)
        if effective_from < date(at.year, at.month, 1):
            raise Refused("a transfer cannot take effect in a month already past")
        return cls(transfer_id, certification.id, certification.division_code,
                   to_division_code, to_township_code, effective_from, reason.strip(), by, at)

    def _decide(self, by: str, at: datetime) -> None:
        if self.status != "pending":
            raise Refused(f"transfer {self.id} is already {self.status}")
        if by == self.initiated_by:
            raise Refused("the receiving county's approver decides a transfer, never the "
                          "officer who initiated it")
        self.decided_by, self.decided_at = by, at

    def accept(self, certification: Certification, by: str, at: datetime, *,
               latest_change: date | None = None) -> None:
        """The certification belongs to the receiving county (from `effective_from`)."""
        if latest_change is not None and latest_change > self.effective_from:
            raise Refused(f"certification {certification.id} changed from {latest_change}, "
                          "after the transfer's month; the transfer can only be refused")
        if not certification.live:
            raise Refused(f"certification {certification.id} is {certification.status}; the "
                          "transfer can only be refused")
        self._decide(by, at)
        self.status = "accepted"
        certification.division_code = self.to_division_code
        certification.township_code = self.to_township_code

    def refuse(self, reason: str, by: str, at: datetime) -> None:
        if not reason.strip():
            raise InvalidRequest("a refusal needs a reason")
        self._decide(by, at)
        self.status, self.refusal_reason = "refused", reason.strip()


@dataclass(frozen=True)
class CategoryChange:
    id: str
    certification_id: str
    from_category: str
    to_category: str
    effective_from: date
    reason: str
    decided_by: str
    decided_at: datetime

    @classmethod
    def record(cls, change_id: str, certification: Certification, *, to_category: str,
               categories: tuple[str, ...], effective_from: date, reason: str, by: str,
               at: datetime, latest_change: date | None) -> CategoryChange:
        if not certification.live:
            raise Refused(f"certification {certification.id} is {certification.status}; its "
                          "category cannot change")
        if not reason.strip():
            raise InvalidRequest("a change of category needs a reason")
        if to_category not in categories:
            raise InvalidRequest(f"the program {certification.program_code} has no category "
                                 f"{to_category!r} in force on {effective_from}")
        if to_category == certification.category:
            raise Refused(f"certification {certification.id} is already in that category")
        check_effective_month(effective_from, certification, latest_change)
        change = cls(change_id, certification.id, certification.category, to_category,
                     effective_from, reason.strip(), by, at)
        certification.category = to_category
        return change
