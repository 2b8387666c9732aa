"""Public notices and the objections to their entries, in eligibility's own database."""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import date, datetime
from typing import Any

import asyncpg

from siquan.eligibility.domain.errors import NotFound
from siquan.eligibility.domain.notice import PublicNotice
from siquan.shared.database import Connection

_FIELDS = [f.name for f in fields(PublicNotice)]
_SELECT = f"SELECT {', '.join(_FIELDS)} FROM notices"


def _notice(row: asyncpg.Record) -> PublicNotice:
    values: dict[str, Any] = {c: row[c] for c in _FIELDS}
    values["id"] = str(row["id"])
    return PublicNotice(**values)


class PgNotices:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, notice: PublicNotice, by: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO notices (id, program_code, policy_version, division_code,"
            " township_code, notice_days, published_on, closes_on, entries, published_by,"
            " published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            notice.id, notice.program_code, notice.policy_version, notice.division_code,
            notice.township_code, notice.notice_days, notice.published_on, notice.closes_on,
            notice.entries, by, at)

    async def get(self, notice_id: str, *, for_update: bool = False) -> PublicNotice:
        try:
            key = uuid.UUID(notice_id)
        except ValueError as exc:
            raise NotFound(f"no notice {notice_id}") from exc
        row = await self._conn.fetchrow(_SELECT + " WHERE id = $1"
                                        + (" FOR UPDATE" if for_update else ""), key)
        if row is None:
            raise NotFound(f"no notice {notice_id}")
        return _notice(row)

    async def due(self, today: date, limit: int) -> list[PublicNotice]:
        rows = await self._conn.fetch(_SELECT + " WHERE status = 'open' AND closes_on <= $1"
                                      " ORDER BY closes_on, id LIMIT $2 FOR UPDATE SKIP LOCKED",
                                      today, limit)
        return [_notice(r) for r in rows]

    async def close(self, notice: PublicNotice) -> list[str]:
        await self._conn.execute("UPDATE notices SET status = $2, closed_on = $3 WHERE id = $1",
                                 notice.id, notice.status, notice.closed_on)
        await self._conn.execute("UPDATE applications SET status = 'notice_closed'"
                                 " WHERE notice_id = $1 AND status = 'on_notice'", notice.id)
        rows = await self._conn.fetch(
            "SELECT DISTINCT o.application_id FROM objections o JOIN applications a"
            " ON a.id = o.application_id WHERE a.notice_id = $1 AND o.status = 'open'"
            " ORDER BY 1", notice.id)
        return [str(r[0]) for r in rows]


class PgObjections:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def file(self, complaint_id: str, application_id: str, filed_at: datetime) -> bool:
        recorded = await self._conn.fetchval(
            "INSERT INTO objections (complaint_id, application_id, filed_at)"
            " VALUES ($1, $2, $3) ON CONFLICT (complaint_id) DO NOTHING RETURNING true",
            complaint_id, application_id, filed_at)
        return bool(recorded)

    async def resolve(self, *, complaint_id: str, application_id: str, outcome: str,
                      resolution: str, by: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO objections (complaint_id, application_id, status, filed_at,"
            " resolution, resolved_by, resolved_at) VALUES ($1, $2, $3, $6, $4, $5, $6)"
            " ON CONFLICT (complaint_id) DO UPDATE SET status = $3, resolution = $4,"
            " resolved_by = $5, resolved_at = $6",
            complaint_id, application_id, outcome, resolution, by, at)
