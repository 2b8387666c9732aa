"""What officers read, straight from eligibility's tables: an application's facts,
objections and evidence; lists of applications and certifications; a notice's entries by
status; a certification's history; decisions by division for the timeliness report. Read
only, inside a reading unit of work."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from siquan.eligibility.domain.errors import NotFound
from siquan.shared.database import Connection


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in row.items()}


def _key(kind: str, value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"no {kind} {value}") from exc


class EligibilityViews:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def application_detail(self, application_id: str) -> dict[str, Any]:
        """What the application view shows beyond the aggregate."""
        key = _key("application", application_id)
        row = await self._conn.fetchrow(
            "SELECT a.facts, a.import_id, c.id AS certification_id FROM applications a"
            " LEFT JOIN certifications c ON c.application_id = a.id WHERE a.id = $1", key)
        if row is None:
            raise NotFound(f"no application {application_id}")
        objections = await self._conn.fetch(
            "SELECT complaint_id, status, filed_at, resolution, resolved_at FROM objections"
            " WHERE application_id = $1 ORDER BY filed_at", key)
        evidence = await self._conn.fetch(
            "SELECT id, kind, filename, content_type, size, sha256, uploaded_by, uploaded_at"
            " FROM evidence WHERE application_id = $1 ORDER BY uploaded_at", key)
        return {"facts": row["facts"],
                "import_id": str(row["import_id"]) if row["import_id"] else None,
                "certification_id": (str(row["certification_id"])
                                     if row["certification_id"] else None),
                "objections": [_plain(r) for r in objections],
                "evidence": [_plain(r) for r in evidence]}

    async def applications(self, *, division: str, status: str | None,
                           program_code: str | None, limit: int, offset: int
                           ) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT id, status, program_code, category, masked_name, division_code,"
            " township_code, notice_id, submitted_at FROM applications"
            " WHERE coalesce(township_code, division_code) LIKE $1 || '%'"
            " AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR program_code = $3)"
            " ORDER BY submitted_at, id LIMIT $4 OFFSET $5",
            division, status, program_code, limit, offset)
        return [_plain(r) for r in rows]

    async def evidence(self, evidence_id: str) -> dict[str, Any]:
        row = await self._conn.fetchrow(
            "SELECT application_id, filename, content_type, sha256, content FROM evidence"
            " WHERE id = $1", _key("evidence", evidence_id))
        if row is None:
            raise NotFound(f"no evidence {evidence_id}")
        return {**dict(row), "application_id": str(row["application_id"])}

    async def notice_counts(self, notice_id: str) -> dict[str, int]:
        key = _key("notice", notice_id)
        rows = await self._conn.fetch("SELECT status, count(*) FROM applications"
                                      " WHERE notice_id = $1 GROUP BY status", key)
        blocked = await self._conn.fetchval(
            "SELECT count(DISTINCT o.application_id) FROM objections o JOIN applications a"
            " ON a.id = o.application_id WHERE a.notice_id = $1 AND o.status = 'open'", key)
        return {**{r[0]: int(r[1]) for r in rows}, "blocked_by_objection": int(blocked)}

    async def certification_history(self, certification_id: str) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT status_from, status_to, effective_from, valid_until, reason, actor,"
            " recorded_at FROM certification_history WHERE certification_id = $1 ORDER BY id",
            _key("certification", certification_id))
        return [dict(r) for r in rows]

    async def certification_officers(self, certification_id: str) -> tuple[str, str]:
        """Who reviewed and who approved it."""
        row = await self._conn.fetchrow("SELECT reviewed_by, approved_by FROM certifications"
                                        " WHERE id = $1", _key("certification",
                                                               certification_id))
        if row is None:
            raise NotFound(f"no certification {certification_id}")
        return row["reviewed_by"], row["approved_by"]

    async def certifications(self, program_code: str | None, division_prefix: str,
                             status: str | None = None, *, limit: int = 500,
                             offset: int = 0) -> list[dict[str, object]]:
        rows = await self._conn.fetch(
            "SELECT id, application_id, program_code, category, policy_version, division_code,"
            " township_code, effective_from, valid_until, status, reviewed_by, approved_by"
            " FROM certifications WHERE ($1::text IS NULL OR program_code = $1)"
            " AND coalesce(township_code, division_code) LIKE $2 || '%'"
            " AND ($3::text IS NULL OR status = $3) ORDER BY approved_at, id"
            " LIMIT $4 OFFSET $5",
            program_code, division_prefix, status, limit, offset)
        return [{k: (str(v) if k.endswith("id") else v) for k, v in row.items()}
                for row in rows]

    async def exclusive_holdings(self, pairs: list[tuple[str, str]], division_prefix: str,
                                 *, limit: int = 500, offset: int = 0
                                 ) -> list[dict[str, object]]:
        """Persons holding live certifications in both programs of an exclusive pair
        (`first` < `second`), within the division: the two certifications by id."""
        rows = await self._conn.fetch(
            "SELECT a.person_key, coalesce(a.township_code, a.division_code) AS division_code,"
            " a.id AS first_certification_id, a.program_code AS first_program,"
            " b.id AS second_certification_id, b.program_code AS second_program"
            " FROM certifications a JOIN certifications b"
            " ON b.person_key = a.person_key AND a.program_code < b.program_code"
            " WHERE a.status IN ('active', 'suspended') AND b.status IN ('active', 'suspended')"
            " AND a.program_code || '/' || b.program_code = ANY($1::text[])"
            " AND (coalesce(a.township_code, a.division_code) LIKE $2 || '%'"
            "      OR coalesce(b.township_code, b.division_code) LIKE $2 || '%')"
            " ORDER BY a.person_key, a.program_code, b.program_code LIMIT $3 OFFSET $4",
            [f"{first}/{second}" for first, second in pairs], division_prefix, limit, offset)
        return [{k: (str(v) if k.endswith("_id") else v) for k, v in row.items()}
                for row in rows]

    async def households_certified_twice(self, programs: list[str], division_prefix: str,
                                         *, limit: int = 500, offset: int = 0
                                         ) -> list[dict[str, object]]:
        """Households with live certifications of two members (`first` certified before
        `second`) in a program paid once per household, within the division: the two
        certifications by id, the household by its keyed fingerprint."""
        rows = await self._conn.fetch(
            "SELECT a.household_key, a.program_code,"
            " coalesce(a.township_code, a.division_code) AS division_code,"
            " a.id AS first_certification_id, a.person_key AS first_person_key,"
            " b.id AS second_certification_id, b.person_key AS second_person_key"
            " FROM certifications a JOIN certifications b"
            " ON b.household_key = a.household_key AND b.program_code = a.program_code"
            " AND b.person_key <> a.person_key AND (a.approved_at, a.id) < (b.approved_at, b.id)"
            " WHERE a.status IN ('active', 'suspended') AND b.status IN ('active', 'suspended')"
            " AND a.program_code = ANY($1::text[])"
            " AND (coalesce(a.township_code, a.division_code) LIKE $2 || '%'"
            "      OR coalesce(b.township_code, b.division_code) LIKE $2 || '%')"
            " ORDER BY a.household_key, a.program_code, a.approved_at, b.approved_at"
            " LIMIT $3 OFFSET $4", programs, division_prefix, limit, offset)
        return [{k: (str(v) if k.endswith("_id") else v) for k, v in row.items()}
                for row in rows]

    async def decisions(self, division: str, start: datetime, end: datetime,
                        deadline_days: int) -> list[tuple[str, int, int]]:
        """(division, decided, decided within the deadline) of decisions in [start, end)."""
        rows = await self._conn.fetch(
            "SELECT coalesce(township_code, division_code) AS division, count(*) AS decided,"
            " count(*) FILTER (WHERE decided_at <= submitted_at + make_interval(days => $4))"
            " AS within FROM applications WHERE decided_at >= $1 AND decided_at < $2"
            " AND coalesce(township_code, division_code) LIKE $3 || '%' GROUP BY 1 ORDER BY 1",
            start, end, division, deadline_days)
        return [(r["division"], int(r["decided"]), int(r["within"])) for r in rows]

    async def overdue(self, division: str, submitted_before: datetime, end: datetime) -> int:
        """Applications submitted before a day and still undecided at `end`."""
        count = await self._conn.fetchval(
            "SELECT count(*) FROM applications WHERE submitted_at < $1 AND"
            " (decided_at IS NULL OR decided_at >= $2)"
            " AND coalesce(township_code, division_code) LIKE $3 || '%'",
            submitted_before, end, division)
        return int(count)
