"""The notice board, complaints and each person's ledger, in memory."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from siquan.contracts.eligibility_v1 import NoticeClosed, NoticePublished
from siquan.oversight.adapters.memory.store import Conflict, MemoryStore
from siquan.oversight.public.application.ports import NoticeRow, PostedEntry
from siquan.oversight.public.domain.complaints import Complaint
from siquan.oversight.public.domain.statements import (
    Agency,
    CertificationChange,
    PaymentLine,
    RunFacts,
)


class MemoryNoticeBoard:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def save_published(self, notice: NoticePublished,
                             entries: Sequence[NoticeRow]) -> None:
        found = self._store.notices.setdefault(notice.notice_id, {
            "notice_id": notice.notice_id, "program_code": notice.program_code,
            "division_code": notice.division_code, "township_code": notice.township_code,
            "total_entries": notice.total_entries, "status": "posted", "closed_on": None})
        found.update(policy_version=notice.policy_version, published_on=notice.published_on,
                     closes_on=notice.closes_on, notice_days=notice.notice_days)
        found["township_code"] = found["township_code"] or notice.township_code
        for entry in entries:
            self._store.notice_entries.setdefault(
                (notice.notice_id, entry.application_id), dataclasses.asdict(entry))

    async def save_closed(self, notice: NoticeClosed) -> None:
        found = self._store.notices.setdefault(notice.notice_id, {
            "notice_id": notice.notice_id, "program_code": notice.program_code,
            "division_code": notice.division_code, "township_code": notice.township_code,
            "total_entries": notice.total_entries, "policy_version": None,
            "published_on": None, "closes_on": None, "notice_days": None})
        found.update(status="closed", closed_on=notice.closed_on)

    async def posted_entry(self, application_id: str, today: date) -> PostedEntry | None:
        posted = [
            (n, e) for (notice_id, app), e in self._store.notice_entries.items()
            if app == application_id
            for n in [self._store.notices[notice_id]]
            if n["status"] == "posted" and n["published_on"] <= today <= n["closes_on"]]
        if not posted:
            return None
        notice, entry = max(posted, key=lambda found: found[0]["closes_on"])
        return PostedEntry(notice["notice_id"], notice["division_code"],
                           entry["township_code"] or notice["township_code"],
                           notice["closes_on"])

    async def notices(self, *, archived: bool, today: date, division_prefix: str,
                      limit: int, offset: int, program_code: str | None = None
                      ) -> list[dict[str, Any]]:
        raise NotImplementedError("the board's pages are tested on PostgreSQL")


class MemoryComplaints:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    async def insert(self, complaint: Complaint, filed_message_id: str) -> None:
        if complaint.complaint_id in self._store.complaints or any(
                c.tracking_number == complaint.tracking_number
                for c, _ in self._store.complaints.values()):
            raise Conflict("a complaint with this id or tracking number exists")
        self._store.complaints[complaint.complaint_id] = (complaint, filed_message_id)

    async def by_tracking_number(self, tracking_number: str) -> Complaint | None:
        return next((c for c, _ in self._store.complaints.values()
                     if c.tracking_number == tracking_number), None)

    async def by_id(self, complaint_id: str, *, lock: bool = False) -> Complaint | None:
        found = self._store.complaints.get(complaint_id)
        return found[0] if found else None

    async def filed_message_id(self, complaint_id: str) -> str | None:
        found = self._store.complaints.get(complaint_id)
        return found[1] if found else None

    def _change(self, complaint_id: str, **changes: Any) -> None:
        complaint, filed = self._store.complaints[complaint_id]
        self._store.complaints[complaint_id] = (dataclasses.replace(complaint, **changes),
                                                filed)

    async def assign(self, complaint_id: str, handler: str, assigned_by: str,
                     at: datetime) -> None:
        self._change(complaint_id, handler=handler)

    async def resolve(self, complaint_id: str, *, outcome: str, resolution: str,
                      resolved_by: str, at: datetime) -> None:
        complaint = self._store.complaints[complaint_id][0]
        self._change(complaint_id, status="resolved", outcome=outcome, resolution=resolution,
                     resolved_at=at, handler=complaint.handler or resolved_by)

    async def escalate_overdue(self, now: datetime) -> list[str]:
        overdue = [c.complaint_id for c, _ in self._store.complaints.values()
                   if c.status == "open" and c.due_at <= now]
        for complaint_id in overdue:
            self._change(complaint_id, status="escalated", escalated_at=now)
        return overdue

    async def find(self, *, division_prefix: str, status: str | None, category: str | None,
                   limit: int, offset: int) -> list[Complaint]:
        found = sorted((c for c, _ in self._store.complaints.values()
                        if c.division_code.startswith(division_prefix)
                        and status in (None, c.status) and category in (None, c.category)),
                       key=lambda c: (c.filed_at, c.complaint_id))
        return found[offset:offset + limit]


class MemoryLedger:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def record_agency(self, person_key: str, agency: Agency | None, at: datetime) -> None:
        known = self._store.agencies.get(person_key)
        if agency is None:
            if known is not None and known.since <= at:
                del self._store.agencies[person_key]
        elif known is None or agency.since >= known.since:
            self._store.agencies[person_key] = agency

    async def agency_of(self, person_key: str) -> Agency | None:
        return self._store.agencies.get(person_key)

    def record_change(self, person_key: str, change: CertificationChange) -> None:
        self._store.changes.append(
            (person_key, dataclasses.replace(change, seq=self._store.next_seq())))

    def record_lines(self, lines: Sequence[tuple[str, str, PaymentLine]]) -> None:
        for person, key, line in lines:
            if (key, line.outcome) not in self._store.lines:
                self._store.lines[(key, line.outcome)] = (self._store.next_seq(), person, line)

    async def changes_of(self, person_key: str, division_prefix: str
                         ) -> list[CertificationChange]:
        return [c for p, c in self._store.changes
                if p == person_key and c.division_code.startswith(division_prefix)]

    async def lines_of(self, person_key: str, division_prefix: str) -> list[PaymentLine]:
        recorded = [(seq, line) for seq, p, line in self._store.lines.values()
                    if p == person_key]
        settled = [(s.seq, PaymentLine(
            "settled", s.item.run_id, s.item.program_code, s.run_period,
            s.item.division_code, s.item.certification_id, s.item.item, s.item.amount_fen))
            for s in self._store.payments.values() if s.item.person_key == person_key
            and s.item.transferred_as not in self._store.payments]
        return [line for _, line in sorted(recorded + settled, key=lambda found: found[0])
                if line.division_code.startswith(division_prefix)]

    async def runs_for(self, run_ids: Sequence[str], programs: Sequence[tuple[str, str]],
                       since: date | None) -> list[RunFacts]:
        pairs = set(programs)
        return [RunFacts(run_id, r["program_code"], r["period"], r["division_code"],
                         r["status"], any(a[0] == run_id
                                          for a in self._store.allocations.values()))
                for run_id, r in self._store.runs.items()
                if run_id in run_ids or ((r["program_code"], r["division_code"]) in pairs
                                         and since is not None
                                         and r["period"][:4] >= f"{since.year:04d}")]
