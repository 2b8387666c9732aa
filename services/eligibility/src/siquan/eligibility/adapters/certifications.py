"""Certifications and their history in eligibility's own database. Every change is a row
in `certification_history` written in the same statement batch as the status it sets."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import asyncpg

from siquan.eligibility.domain.certification import Certification, Change
from siquan.eligibility.domain.errors import NotFound, Refused
from siquan.shared.database import Connection

_FIELDS = [f.name for f in fields(Certification)]
_SELECT = f"SELECT {', '.join(_FIELDS)} FROM certifications"


@dataclass(frozen=True)
class Granted:
    certification: Certification
    reviewed_by: str
    approved_by: str
    approved_at: datetime


def _from_row(row: asyncpg.Record) -> Certification:
    values: dict[str, Any] = {c: row[c] for c in _FIELDS}
    values["id"], values["application_id"] = str(row["id"]), str(row["application_id"])
    return Certification(**values)


async def add_many(conn: Connection, granted: Sequence[Granted]) -> None:
    rows = [(g.certification.id, g.certification.application_id, g.certification.program_code,
             g.certification.category, g.certification.policy_version,
             g.certification.person_key, g.certification.division_code,
             g.certification.township_code, g.certification.effective_from,
             g.certification.valid_until, g.reviewed_by, g.approved_by, g.approved_at)
            for g in granted]
    try:
        await conn.executemany(
            "INSERT INTO certifications (id, application_id, program_code, category,"
            " policy_version, person_key, division_code, township_code, effective_from,"
            " valid_until, reviewed_by, approved_by, approved_at)"
            " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)", rows)
    except asyncpg.UniqueViolationError as exc:
        raise Refused("a person in this batch already holds a live certification for the "
                      "program") from exc
    await conn.executemany(
        "INSERT INTO certification_history (certification_id, status_from, status_to,"
        " effective_from, valid_until, reason, actor, recorded_at)"
        " VALUES ($1, NULL, 'active', $2, $3, 'granted', $4, $5)",
        [(g.certification.id, g.certification.effective_from, g.certification.valid_until,
          g.approved_by, g.approved_at) for g in granted])


async def get(conn: Connection, certification_id: str, *, for_update: bool = False
              ) -> Certification:
    return (await get_many(conn, [certification_id], for_update=for_update))[0]


async def get_many(conn: Connection, ids: Sequence[str], *, for_update: bool = False
                   ) -> list[Certification]:
    try:
        keys = [uuid.UUID(i) for i in ids]
    except ValueError as exc:
        raise NotFound(f"no certification {exc}") from exc
    rows = await conn.fetch(_SELECT + " WHERE id = ANY($1::uuid[]) ORDER BY id"
                            + (" FOR UPDATE" if for_update else ""), keys)
    found = {str(r["id"]): _from_row(r) for r in rows}
    missing = [i for i in ids if str(uuid.UUID(i)) not in found]
    if missing:
        raise NotFound(f"no certification {missing[0]}")
    return [found[str(uuid.UUID(i))] for i in ids]


async def live_of_person(conn: Connection, person_key: str) -> list[Certification]:
    rows = await conn.fetch(_SELECT + " WHERE person_key = $1 AND status IN"
                            " ('active', 'suspended') ORDER BY id FOR UPDATE", person_key)
    return [_from_row(r) for r in rows]


async def due_to_lapse(conn: Connection, last_valid_until: date, limit: int
                       ) -> list[Certification]:
    """Live certifications valid only until `last_valid_until` or earlier."""
    rows = await conn.fetch(_SELECT + " WHERE status IN ('active', 'suspended')"
                            " AND valid_until <= $1 ORDER BY id LIMIT $2"
                            " FOR UPDATE SKIP LOCKED", last_valid_until, limit)
    return [_from_row(r) for r in rows]


async def record_changes(conn: Connection, changed: Sequence[tuple[Certification, Change]],
                         at: datetime) -> None:
    ended = ("lapsed", "revoked")
    await conn.execute(
        "UPDATE certifications c SET status = u.status, valid_until = u.valid_until,"
        " ended_on = u.ended_on, ended_reason = u.ended_reason"
        " FROM unnest($1::uuid[], $2::text[], $3::date[], $4::date[], $5::text[])"
        " AS u(id, status, valid_until, ended_on, ended_reason) WHERE c.id = u.id",
        [c.id for c, _ in changed], [c.status for c, _ in changed],
        [c.valid_until for c, _ in changed],
        [ch.effective_from if ch.status_to in ended else None for _, ch in changed],
        [ch.reason if ch.status_to in ended else None for _, ch in changed])
    await conn.executemany(
        "INSERT INTO certification_history (certification_id, status_from, status_to,"
        " effective_from, valid_until, reason, actor, recorded_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [(c.id, ch.status_from, ch.status_to, ch.effective_from, ch.valid_until, ch.reason,
          ch.actor, at) for c, ch in changed])


async def history(conn: Connection, certification_id: str) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT status_from, status_to, effective_from, valid_until, reason, actor,"
        " recorded_at FROM certification_history WHERE certification_id = $1 ORDER BY id",
        uuid.UUID(certification_id))
    return [dict(r) for r in rows]


async def listing(conn: Connection, program_code: str | None, division_prefix: str,
                  status: str | None = None) -> list[dict[str, object]]:
    rows = await conn.fetch(
        "SELECT id, application_id, program_code, category, policy_version, division_code,"
        " township_code, effective_from, valid_until, status, reviewed_by, approved_by"
        " FROM certifications WHERE ($1::text IS NULL OR program_code = $1)"
        " AND coalesce(township_code, division_code) LIKE $2 || '%'"
        " AND ($3::text IS NULL OR status = $3) ORDER BY approved_at, id",
        program_code, division_prefix, status)
    return [{k: (str(v) if k.endswith("id") else v) for k, v in row.items()} for row in rows]


async def reviewers(conn: Connection, certification_id: str) -> tuple[str, str]:
    row = await conn.fetchrow("SELECT reviewed_by, approved_by FROM certifications"
                              " WHERE id = $1", uuid.UUID(certification_id))
    assert row is not None
    return row["reviewed_by"], row["approved_by"]
