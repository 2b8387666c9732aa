"""Counts of active certifications per program, division and category.

Only the certification id (not personal) is kept, so a redelivered or late grant or
revocation counts once, in whatever order they arrive; no person key, name or ID number is
ever stored here. Every change bumps the roster version of its (program, division), which
tells the forecast loop which forecasts to compute again.
"""

from __future__ import annotations

from collections.abc import Sequence
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
        # the spans a transfer cut it into end too (`move`)
        await self._conn.execute(
            "UPDATE certifications SET active = false, updated_at = $2,"
            " certified_until = CASE WHEN certified_until IS NULL OR $3::date IS NULL"
            " THEN coalesce(certified_until, $3::date)"
            " ELSE least(certified_until, $3::date) END"
            " WHERE certification_id LIKE $1 || '@%'", certification_id, at, effective_from)

    async def unrevoke(self, certification_ids: Sequence[str], effective_from: date,
                       at: datetime) -> set[tuple[str, str]]:
        rows = await self._conn.fetch(
            "UPDATE certifications SET active = true, certified_until = NULL, updated_at = $3"
            " WHERE certified_until = $2 AND (certification_id = ANY($1::text[])"
            " OR split_part(certification_id, '@', 1) = ANY($1::text[]))"
            " RETURNING program_code, division_code", list(certification_ids),
            effective_from, at)
        return {(r["program_code"], r["division_code"]) for r in rows}

    async def move(self, certification_id: str, program_code: str, division_code: str,
                   category: str, effective_from: date, at: datetime) -> None:
        """From `effective_from` the certification counts in `division_code`: the span
        before it (the original or an earlier transfer's) ends then, and the new span keeps
        the end the certification had (a revocation or a later transfer seen first)."""
        span = f"{certification_id}@{effective_from.isoformat()}"
        covering = await self._conn.fetchrow(
            "SELECT certified_until, category, category_since FROM certifications"
            " WHERE (certification_id = $1 OR certification_id LIKE $1 || '@%')"
            " AND certification_id <> $2 AND coalesce(certified_from, '-infinity') < $3"
            " ORDER BY certified_from DESC NULLS LAST LIMIT 1",
            certification_id, span, effective_from)
        until = covering["certified_until"] if covering is not None else None
        if covering is not None and covering["category_since"] is not None:
            # a category change before the transfer is in force at it
            category, since = covering["category"], covering["category_since"]
        else:
            since = None
        await self._conn.execute(
            "INSERT INTO certifications (certification_id, program_code, division_code,"
            " category, active, certified_from, certified_until, updated_at, category_since)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (certification_id)"
            " DO UPDATE SET division_code = EXCLUDED.division_code",
            span, program_code, division_code, category,
            until is None or until > effective_from, effective_from, until, at, since)
        await self._conn.execute(
            "UPDATE certifications SET active = false, updated_at = $3,"
            " certified_until = least(coalesce(certified_until, $2::date), $2::date)"
            " WHERE (certification_id = $1 OR certification_id LIKE $1 || '@%')"
            " AND coalesce(certified_from, '-infinity') < $2",
            certification_id, effective_from, at)

    async def recategorize(self, certification_id: str, program_code: str,
                           division_code: str, category: str, effective_from: date,
                           at: datetime) -> None:
        """From `effective_from` the certification is counted in `category`: the span in
        force then is cut there (the span before keeps its category), and every later span
        (a later transfer's) takes the new category unless a later change set its own. A
        change seen before its grant is remembered as the end of the grant's span."""
        span = f"{certification_id}@{effective_from.isoformat()}"
        covering = await self._conn.fetchrow(
            "SELECT certified_until, active FROM certifications"
            " WHERE (certification_id = $1 OR certification_id LIKE $1 || '@%')"
            " AND certification_id <> $2 AND coalesce(certified_from, '-infinity') < $3"
            " ORDER BY certified_from DESC NULLS LAST LIMIT 1",
            certification_id, span, effective_from)
        if covering is None:
            await self._conn.execute(
                "INSERT INTO certifications (certification_id, program_code, division_code,"
                " active, updated_at, certified_until) VALUES ($1, $2, $3, false, $4, $5)"
                " ON CONFLICT (certification_id) DO NOTHING",
                certification_id, program_code, division_code, at, effective_from)
            until, active = None, True
        else:
            until, active = covering["certified_until"], covering["active"]
        following = await self._conn.fetchval(
            "SELECT min(certified_from) FROM certifications"
            " WHERE certification_id LIKE $1 || '@%' AND certified_from > $2",
            certification_id, effective_from)
        if following is not None and (until is None or following < until):
            until = following
        await self._conn.execute(
            "INSERT INTO certifications (certification_id, program_code, division_code,"
            " category, active, certified_from, certified_until, updated_at, category_since)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6) ON CONFLICT (certification_id)"
            " DO UPDATE SET category = EXCLUDED.category, category_since = $6, updated_at = $8",
            span, program_code, division_code, category,
            active and until is None, effective_from, until, at)
        await self._conn.execute(
            "UPDATE certifications SET active = false, updated_at = $3,"
            " certified_until = least(coalesce(certified_until, $2::date), $2::date)"
            " WHERE (certification_id = $1 OR certification_id LIKE $1 || '@%')"
            " AND coalesce(certified_from, '-infinity') < $2",
            certification_id, effective_from, at)
        await self._conn.execute(
            "UPDATE certifications SET category = $3, category_since = $2, updated_at = $4"
            " WHERE certification_id LIKE $1 || '@%' AND certified_from > $2"
            " AND (category_since IS NULL OR category_since <= $2)",
            certification_id, effective_from, category, at)

    async def terms(self, program_code: str, division_code: str) -> list[CertifiedTerm]:
        rows = await self._conn.fetch(
            "SELECT certification_id, category, certified_from, certified_until, active"
            " FROM certifications"
            " WHERE program_code = $1 AND division_code = $2 AND category IS NOT NULL",
            program_code, division_code)
        return [CertifiedTerm(r["category"], r["certified_from"], r["certified_until"],
                              r["active"], r["certification_id"].split("@")[0])
                for r in rows]

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
