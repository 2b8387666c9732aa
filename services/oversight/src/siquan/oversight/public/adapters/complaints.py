"""The `complaints` table (read by the reconciliation reports too): one row per complaint,
report or objection, from filing to resolution."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime

import asyncpg

from siquan.oversight.public.domain.complaints import Complaint
from siquan.shared.database import Connection

_COLUMNS = tuple(f.name for f in fields(Complaint))
_SELECT = "SELECT " + ", ".join(_COLUMNS) + " FROM complaints"


def _complaint(row: asyncpg.Record) -> Complaint:
    values = dict(row)
    for name in ("complaint_id", "application_id"):
        if values[name] is not None:
            values[name] = str(values[name])
    return Complaint(**values)


class PgComplaints:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def insert(self, complaint: Complaint, filed_message_id: str) -> None:
        await self._conn.execute(
            "INSERT INTO complaints (" + ", ".join(_COLUMNS) + ", filed_message_id) VALUES ("
            + ", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 2)) + ")",
            # the fields as they are (`astuple` deep-copies each value, datetimes and all)
            *(getattr(complaint, name) for name in _COLUMNS), filed_message_id)

    async def by_tracking_number(self, tracking_number: str) -> Complaint | None:
        row = await self._conn.fetchrow(_SELECT + " WHERE tracking_number = $1", tracking_number)
        return _complaint(row) if row is not None else None

    async def by_id(self, complaint_id: str, *, lock: bool = False
                    ) -> Complaint | None:
        row = await self._conn.fetchrow(_SELECT + " WHERE complaint_id = $1"
                                  + (" FOR UPDATE" if lock else ""), complaint_id)
        return _complaint(row) if row is not None else None

    async def filed_message_id(self, complaint_id: str) -> str | None:
        found = await self._conn.fetchval(
            "SELECT filed_message_id FROM complaints WHERE complaint_id = $1", complaint_id)
        return str(found) if found is not None else None

    async def assign(self, complaint_id: str, handler: str, assigned_by: str,
                     at: datetime) -> None:
        await self._conn.execute(
            "UPDATE complaints SET handler = $2, assigned_by = $3, assigned_at = $4"
            " WHERE complaint_id = $1", complaint_id, handler, assigned_by, at)

    async def resolve(self, complaint_id: str, *, outcome: str, resolution: str,
                      resolved_by: str, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE complaints SET status = 'resolved', outcome = $2, resolution = $3,"
            " resolved_by = $4, resolved_at = $5, handler = coalesce(handler, $4)"
            " WHERE complaint_id = $1", complaint_id, outcome, resolution, resolved_by, at)

    async def escalate_overdue(self, now: datetime) -> list[str]:
        """Mark every open complaint due by `now` escalated; the ids of those marked."""
        rows = await self._conn.fetch(
            "UPDATE complaints SET status = 'escalated', escalated_at = $1"
            " WHERE status = 'open' AND due_at <= $1 RETURNING complaint_id", now)
        return [str(row["complaint_id"]) for row in rows]

    async def find(self, *, division_prefix: str, status: str | None,
                   category: str | None, limit: int, offset: int) -> list[Complaint]:
        rows = await self._conn.fetch(
            _SELECT + " WHERE division_code LIKE $1 || '%'"
            " AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR category = $3)"
            " ORDER BY filed_at, complaint_id LIMIT $4 OFFSET $5",
            division_prefix, status, category, limit, offset)
        return [_complaint(row) for row in rows]
