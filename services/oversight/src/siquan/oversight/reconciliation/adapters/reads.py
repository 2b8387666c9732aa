"""The `personal_data_reads` table: who read which person's record, when and why."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, tzinfo

import asyncpg

from siquan.oversight.reconciliation.application.reads import Read
from siquan.shared.database import Connection

_COLUMNS = ("read_id, officer_id, officer_division, person_key, record, record_id, purpose,"
            " service, read_at")


def _read(row: asyncpg.Record) -> Read:
    return Read(str(row["read_id"]), row["officer_id"], row["officer_division"],
                row["person_key"], row["record"], row["record_id"], row["purpose"],
                row["service"], row["read_at"])


class PgReads:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, read: Read) -> bool:
        added = await self._conn.fetchval(
            f"INSERT INTO personal_data_reads ({_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7,"
            " $8, $9) ON CONFLICT (read_id) DO NOTHING RETURNING true",
            uuid.UUID(read.read_id), read.officer_id, read.officer_division, read.person_key,
            read.record, read.record_id, read.purpose, read.service, read.read_at)
        return bool(added)

    async def count_on(self, officer_id: str, day: date, zone: tzinfo) -> int:
        start = datetime.combine(day, time(), tzinfo=zone)
        count: int = await self._conn.fetchval(
            "SELECT count(*) FROM personal_data_reads WHERE officer_id = $1"
            " AND read_at >= $2 AND read_at < $3", officer_id, start, start + timedelta(days=1))
        return count

    async def find(self, *, division_prefix: str, officer_id: str | None,
                   since: datetime | None, until: datetime | None, limit: int) -> list[Read]:
        rows = await self._conn.fetch(
            f"SELECT {_COLUMNS} FROM personal_data_reads"
            " WHERE officer_division LIKE $1 || '%' AND ($2::text IS NULL OR officer_id = $2)"
            " AND ($3::timestamptz IS NULL OR read_at >= $3)"
            " AND ($4::timestamptz IS NULL OR read_at < $4)"
            " ORDER BY read_at DESC, read_id LIMIT $5",
            division_prefix, officer_id, since, until, limit)
        return [_read(row) for row in rows]

    async def volume(self, *, division_prefix: str, since: datetime | None,
                     until: datetime | None) -> list[dict[str, object]]:
        rows = await self._conn.fetch(
            "SELECT officer_id, (read_at AT TIME ZONE 'UTC')::date AS day, count(*) AS reads,"
            " count(DISTINCT person_key) AS persons FROM personal_data_reads"
            " WHERE officer_division LIKE $1 || '%'"
            " AND ($2::timestamptz IS NULL OR read_at >= $2)"
            " AND ($3::timestamptz IS NULL OR read_at < $3)"
            " GROUP BY officer_id, day ORDER BY day DESC, reads DESC, officer_id LIMIT 1000",
            division_prefix, since, until)
        return [{"officer_id": r["officer_id"], "day": r["day"].isoformat(),
                 "reads": r["reads"], "persons": r["persons"]} for r in rows]

