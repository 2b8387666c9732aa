"""What eligibility's exports read: the roster of certifications with each holder's masked
name and ID, and a public notice's entries. Read only; never the resident ID itself."""

from __future__ import annotations

import uuid
from typing import Any

from siquan.shared.database import Connection


class ExportViews:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def roster(self, program_code: str | None, division_prefix: str,
                     status: str | None, *, limit: int, offset: int) -> list[dict[str, Any]]:
        """The certifications within the scope, oldest approval first (the order of
        `GET /certifications`), each with its holder's masked name and ID."""
        rows = await self._conn.fetch(
            "SELECT c.id::text AS certification_id, c.person_key, a.masked_name,"
            " a.masked_resident_id, c.program_code, c.category, c.policy_version,"
            " c.division_code, c.township_code, c.effective_from, c.valid_until, c.status,"
            " c.reviewed_by, c.approved_by"
            " FROM certifications c JOIN applications a ON a.id = c.application_id"
            " WHERE ($1::text IS NULL OR c.program_code = $1)"
            " AND coalesce(c.township_code, c.division_code) LIKE $2 || '%'"
            " AND ($3::text IS NULL OR c.status = $3) ORDER BY c.approved_at, c.id"
            " LIMIT $4 OFFSET $5",
            program_code, division_prefix, status, limit, offset)
        return [dict(r) for r in rows]

    async def notice_entries(self, notice_id: str) -> list[dict[str, Any]]:
        """A notice's entries as posted: masked name and ID, township, category, the month
        from which the benefit is claimed."""
        rows = await self._conn.fetch(
            "SELECT masked_name, masked_resident_id, division_code, township_code, category,"
            " eligible_from FROM applications WHERE notice_id = $1"
            " ORDER BY coalesce(township_code, division_code), submitted_at, id",
            uuid.UUID(notice_id))
        return [dict(r) for r in rows]
