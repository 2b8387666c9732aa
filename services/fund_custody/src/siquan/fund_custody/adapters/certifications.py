"""Counts of active certifications per program, division and category.

Only the certification id (not personal) is kept, so a redelivered or late grant or
revocation counts once, in whatever order they arrive; no person key, name or ID number is
ever stored here. Every change bumps the roster version of its (program, division), which
tells the forecast loop which forecasts to compute again.
"""

from __future__ import annotations

from datetime import date, datetime

from siquan.fund_custody.domain.forecast import CertifiedTerm
from siquan.shared.database import Connection


class PgHeadCounts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def grant(self, certification_id: str, program_code: str, division_code: str,
                    category: str, effective_from: date | None = None) -> None:
        await self._conn.execute(
            "INSERT INTO certifications (certification_id, program_code, division_code,"
            " category, active, certified_from) VALUES ($1, $2, $3, $4, true, $5)"
            " ON CONFLICT (certification_id) DO UPDATE"
            " SET category = coalesce(certifications.category, EXCLUDED.category),"
            " certified_from = coalesce(certifications.certified_from,"
            " EXCLUDED.certified_from)",
            certification_id, program_code, division_code, category, effective_from)

    async def revoke(self, certification_id: str, program_code: str, division_code: str,
                     at: datetime, effective_from: date | None = None) -> None:
        await self._conn.execute(
            "INSERT INTO certifications (certification_id, program_code, division_code,"
            " active, updated_at, certified_until) VALUES ($1, $2, $3, false, $4, $5)"
            " ON CONFLICT (certification_id) DO UPDATE SET active = false, updated_at = $4,"
            " certified_until = CASE WHEN certifications.certified_until IS NULL"
            " OR $5::date IS NULL THEN coalesce(certifications.certified_until, $5::date)"
            " ELSE least(certifications.certified_until, $5::date) END",
            certification_id, program_code, division_code, at, effective_from)

    async def terms(self, program_code: str, division_code: str) -> list[CertifiedTerm]:
        rows = await self._conn.fetch(
            "SELECT category, certified_from, certified_until, active FROM certifications"
            " WHERE program_code = $1 AND division_code = $2 AND category IS NOT NULL",
            program_code, division_code)
        return [CertifiedTerm(r["category"], r["certified_from"], r["certified_until"],
                              r["active"]) for r in rows]

    async def active_counts(self, program_code: str, division_code: str) -> dict[str, int]:
        rows = await self._conn.fetch(
            "SELECT category, count(*) AS n FROM certifications WHERE program_code = $1"
            " AND division_code = $2 AND active GROUP BY category ORDER BY category",
            program_code, division_code)
        return {r["category"]: r["n"] for r in rows}

    async def roster_changed(self, program_code: str, division_code: str,
                             at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO rosters (program_code, division_code, version, changed_at)"
            " VALUES ($1, $2, 1, $3) ON CONFLICT (program_code, division_code) DO UPDATE"
            " SET version = rosters.version + 1, changed_at = $3",
            program_code, division_code, at)

    async def policy_changed(self, program_code: str, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE rosters SET version = version + 1, changed_at = $2"
            " WHERE program_code = $1", program_code, at)

    async def roster_version(self, program_code: str, division_code: str) -> int:
        version = await self._conn.fetchval(
            "SELECT version FROM rosters WHERE program_code = $1 AND division_code = $2",
            program_code, division_code)
        return int(version or 0)
