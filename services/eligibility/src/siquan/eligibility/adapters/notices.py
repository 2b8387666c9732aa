"""Public notices, community review meetings, survey imports, objections and evidence:
the records around the applications, in eligibility's own database."""

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


def _notice(row: asyncpg.Record) -> PublicNotice:
    values: dict[str, Any] = {c: row[c] for c in _FIELDS}
    values["id"] = str(row["id"])
    return PublicNotice(**values)


async def add_notice(conn: Connection, notice: PublicNotice, by: str, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO notices (id, program_code, policy_version, division_code, township_code,"
        " notice_days, published_on, closes_on, entries, published_by, published_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        notice.id, notice.program_code, notice.policy_version, notice.division_code,
        notice.township_code, notice.notice_days, notice.published_on, notice.closes_on,
        notice.entries, by, at)


async def get_notice(conn: Connection, notice_id: str, *, for_update: bool = False
                     ) -> PublicNotice:
    try:
        key = uuid.UUID(notice_id)
    except ValueError as exc:
        raise NotFound(f"no notice {notice_id}") from exc
    row = await conn.fetchrow(f"SELECT {', '.join(_FIELDS)} FROM notices WHERE id = $1"
                              + (" FOR UPDATE" if for_update else ""), key)
    if row is None:
        raise NotFound(f"no notice {notice_id}")
    return _notice(row)


async def due_notices(conn: Connection, today: date, limit: int) -> list[PublicNotice]:
    rows = await conn.fetch(f"SELECT {', '.join(_FIELDS)} FROM notices WHERE status = 'open'"
                            " AND closes_on <= $1 ORDER BY closes_on, id LIMIT $2"
                            " FOR UPDATE SKIP LOCKED", today, limit)
    return [_notice(r) for r in rows]


async def close_notice(conn: Connection, notice: PublicNotice) -> list[str]:
    """Mark the notice closed and its posted entries notice_closed; the ids of entries
    with an objection still open."""
    await conn.execute("UPDATE notices SET status = $2, closed_on = $3 WHERE id = $1",
                       notice.id, notice.status, notice.closed_on)
    await conn.execute("UPDATE applications SET status = 'notice_closed'"
                       " WHERE notice_id = $1 AND status = 'on_notice'", notice.id)
    rows = await conn.fetch(
        "SELECT DISTINCT o.application_id FROM objections o JOIN applications a"
        " ON a.id = o.application_id WHERE a.notice_id = $1 AND o.status = 'open'"
        " ORDER BY 1", notice.id)
    return [str(r[0]) for r in rows]


async def notice_counts(conn: Connection, notice_id: str) -> dict[str, int]:
    rows = await conn.fetch("SELECT status, count(*) FROM applications WHERE notice_id = $1"
                            " GROUP BY status", uuid.UUID(notice_id))
    blocked = await conn.fetchval(
        "SELECT count(DISTINCT o.application_id) FROM objections o JOIN applications a"
        " ON a.id = o.application_id WHERE a.notice_id = $1 AND o.status = 'open'",
        uuid.UUID(notice_id))
    return {**{r[0]: int(r[1]) for r in rows}, "blocked_by_objection": int(blocked)}


async def add_community_review(conn: Connection, *, review_id: str, scope: str, held_on: date,
                               present: int, passed: int, failed: int, by: str,
                               at: datetime) -> None:
    await conn.execute(
        "INSERT INTO community_reviews (id, scope_code, held_on, present, passed, failed,"
        " recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        review_id, scope, held_on, present, passed, failed, by, at)


async def add_import(conn: Connection, *, import_id: str, filename: str, sha256: str,
                     rows: int, accepted: int, by: str, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO survey_imports (id, filename, sha256, rows_read, accepted, refused,"
        " imported_by, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        import_id, filename, sha256, rows, accepted, rows - accepted, by, at)


async def file_objection(conn: Connection, complaint_id: str, application_id: str,
                         filed_at: datetime) -> bool:
    """Record an open objection; False when this complaint is already known."""
    recorded = await conn.fetchval(
        "INSERT INTO objections (complaint_id, application_id, filed_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (complaint_id) DO NOTHING RETURNING true",
        complaint_id, application_id, filed_at)
    return bool(recorded)


async def resolve_objection(conn: Connection, *, complaint_id: str, application_id: str,
                            outcome: str, resolution: str, by: str, at: datetime) -> None:
    """Close the objection (recording it first if its filing was never seen)."""
    await conn.execute(
        "INSERT INTO objections (complaint_id, application_id, status, filed_at, resolution,"
        " resolved_by, resolved_at) VALUES ($1, $2, $3, $6, $4, $5, $6)"
        " ON CONFLICT (complaint_id) DO UPDATE SET status = $3, resolution = $4,"
        " resolved_by = $5, resolved_at = $6",
        complaint_id, application_id, outcome, resolution, by, at)


async def application_exists(conn: Connection, application_id: str) -> bool:
    try:
        key = uuid.UUID(application_id)
    except ValueError:
        return False
    return bool(await conn.fetchval("SELECT true FROM applications WHERE id = $1", key))


async def add_evidence(conn: Connection, *, evidence_id: str, application_id: str, kind: str,
                       filename: str, content_type: str, content: bytes, sha256: str,
                       by: str, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO evidence (id, application_id, kind, filename, content_type, size,"
        " sha256, content, uploaded_by, uploaded_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        evidence_id, application_id, kind, filename, content_type, len(content), sha256,
        content, by, at)


async def get_evidence(conn: Connection, evidence_id: str) -> dict[str, Any]:
    try:
        key = uuid.UUID(evidence_id)
    except ValueError as exc:
        raise NotFound(f"no evidence {evidence_id}") from exc
    row = await conn.fetchrow("SELECT application_id, filename, content_type, sha256, content"
                              " FROM evidence WHERE id = $1", key)
    if row is None:
        raise NotFound(f"no evidence {evidence_id}")
    return {**dict(row), "application_id": str(row["application_id"])}
