"""What the public side's handlers need from a unit of work: the notice board, the
complaints, and each person's ledger. PostgreSQL implements them in `public.adapters`,
memory in `adapters.memory`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from siquan.contracts.eligibility_v1 import NoticeClosed, NoticePublished
from siquan.oversight.application.ports import Unit
from siquan.oversight.public.domain.complaints import Complaint
from siquan.oversight.public.domain.statements import (
    Agency,
    CertificationChange,
    PaymentLine,
    RunFacts,
)


@dataclass(frozen=True)
class PostedEntry:
    """Where an application is posted: the notice, its division and its closing day."""

    notice_id: str
    division_code: str
    township_code: str | None
    closes_on: date


@dataclass(frozen=True)
class NoticeRow:
    """One masked entry of a notice: application, category, name, resident ID, township."""

    application_id: str
    category: str
    masked_name: str
    masked_resident_id: str
    township_code: str | None


class NoticeBoard(Protocol):
    async def save_published(self, notice: NoticePublished,
                             entries: Sequence[NoticeRow]) -> None:
        """Record the notice (once; its parts may come in any order) and these entries."""

    async def save_closed(self, notice: NoticeClosed) -> None: ...

    async def posted_entry(self, application_id: str, today: date) -> PostedEntry | None:
        """The notice in force today that lists the application, if any."""

    async def notices(self, *, archived: bool, today: date, division_prefix: str,
                      limit: int, offset: int, program_code: str | None = None
                      ) -> list[dict[str, Any]]: ...


class Complaints(Protocol):
    async def insert(self, complaint: Complaint, filed_message_id: str) -> None: ...

    async def by_tracking_number(self, tracking_number: str) -> Complaint | None: ...

    async def by_id(self, complaint_id: str, *, lock: bool = False) -> Complaint | None: ...

    async def filed_message_id(self, complaint_id: str) -> str | None: ...

    async def assign(self, complaint_id: str, handler: str, assigned_by: str,
                     at: datetime) -> None: ...

    async def resolve(self, complaint_id: str, *, outcome: str, resolution: str,
                      resolved_by: str, at: datetime) -> None: ...

    async def escalate_overdue(self, now: datetime) -> list[str]:
        """Mark every open complaint due by `now` escalated; the ids of those marked."""

    async def find(self, *, division_prefix: str, status: str | None, category: str | None,
                   limit: int, offset: int) -> list[Complaint]: ...


class Ledger(Protocol):
    """Each person's ledger. Settled payments are not recorded here: they are the rules'
    settled payments, read back with the lines."""

    def record_change(self, person_key: str, change: CertificationChange) -> None: ...

    def record_lines(self, lines: Sequence[tuple[str, str, PaymentLine]]) -> None:
        """(person_key, line_key, line): a line already recorded (same key and outcome) is
        not recorded again."""

    async def changes_of(self, person_key: str, division_prefix: str
                         ) -> list[CertificationChange]: ...

    async def lines_of(self, person_key: str, division_prefix: str) -> list[PaymentLine]: ...

    async def runs_for(self, run_ids: Sequence[str], programs: Sequence[tuple[str, str]],
                       since: date | None) -> list[RunFacts]: ...

    def record_agency(self, person_key: str, agency: Agency | None, at: datetime) -> None:
        """The agent who collects for the person from now (None: the person's own
        account again); a registration older than the one kept changes nothing."""

    async def agency_of(self, person_key: str) -> Agency | None: ...


class PublicUnit(Unit, Protocol):
    @property
    def notices(self) -> NoticeBoard: ...

    @property
    def complaints(self) -> Complaints: ...

    @property
    def ledger(self) -> Ledger: ...
