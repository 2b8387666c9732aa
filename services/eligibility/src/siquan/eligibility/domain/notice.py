"""The public notice (张榜公示): township-reviewed applications of one program and one
division are posted for the policy's number of days, so neighbours can object. Posted on
`published_on`, it closes on `published_on + notice_days`; only then may the county
approve its entries, and only those without an open objection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from siquan.eligibility.domain.errors import Refused

NoticeStatus = Literal["open", "closed"]


@dataclass
class PublicNotice:
    id: str
    program_code: str
    policy_version: str
    division_code: str
    township_code: str | None
    notice_days: int
    published_on: date
    entries: int
    status: NoticeStatus = "open"
    closed_on: date | None = None

    @property
    def closes_on(self) -> date:
        return self.published_on + timedelta(days=self.notice_days)

    def is_due(self, today: date) -> bool:
        return self.status == "open" and today >= self.closes_on

    def close(self, today: date) -> None:
        if self.status != "open":
            raise Refused(f"notice {self.id} is already closed")
        if today < self.closes_on:
            raise Refused(f"notice {self.id} is posted until {self.closes_on}")
        self.status, self.closed_on = "closed", today

