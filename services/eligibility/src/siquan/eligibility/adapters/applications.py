"""Applications in eligibility's own database: batch inserts, loads with their open
objections, set-based saves (one statement for a whole batch), and the live holdings of
people used for duplicate detection."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

import asyncpg

from siquan.eligibility.domain.application import LIVE, Application
from siquan.eligibility.domain.errors import NotFound, Refused
from siquan.shared.database import Connection

_FIELDS = [f.name for f in fields(Application) if f.name != "open_objections"]
_IDS = {"id", "community_review_id", "notice_id"}
_MUTABLE = {  # column: type for unnest
    "status": "text", "community_review_id": "uuid", "community_reviewed_by": "text",
    "community_reviewed_at": "timestamptz", "reviewed_by": "text", "reviewed_at": "timestamptz",
    "review_reason": "text", "notice_id": "uuid", "approved_by": "text",
    "approved_at": "timestamptz", "rejected_stage": "text", "decided_by": "text",
    "decided_at": "timestamptz",
}
_INSERT = ("INSERT INTO applications ({cols}, resident_id, facts, import_id) VALUES ({vals})"
           .format(cols=", ".join(_FIELDS),
                   vals=", ".join(f"${i}" for i in range(1, len(_FIELDS) + 4))))
_SELECT = (f"SELECT {', '.join('a.' + c for c in _FIELDS)}, (SELECT count(*) FROM objections o"
           " WHERE o.application_id = a.id AND o.status = 'open') AS open_objections"
           " FROM applications a")
_LIVE_SQL = "(" + ", ".join(f"'{s}'" for s in LIVE) + ")"


@dataclass(frozen=True)
class NewApplication:
    application: Application
    resident_id: str
    facts: dict[str, Any] | None
    import_id: str | None = None


@dataclass(frozen=True)
class Holding:
    """A live application or certification a person holds."""

    person_key: str
    program_code: str
    kind: str
    id: str


def _from_row(row: asyncpg.Record) -> Application:
    values: dict[str, Any] = {c: (str(row[c]) if c in _IDS and row[c] is not None
                                  else row[c]) for c in _FIELDS}
    return Application(**values, open_objections=int(row["open_objections"]))


async def add_many(conn: Connection, new: Sequence[NewApplication]) -> None:
    rows = [(*(getattr(n.application, c) for c in _FIELDS), n.resident_id, n.facts,
             n.import_id) for n in new]
    try:
        await conn.executemany(_INSERT, rows)
    except asyncpg.UniqueViolationError as exc:
        raise Refused("a person in this batch already has a live application or "
                      "certification for its program (entered concurrently)") from exc


async def get(conn: Connection, application_id: str, *, for_update: bool = False
              ) -> Application:
    return (await get_many(conn, [application_id], for_update=for_update))[0]


async def get_many(conn: Connection, ids: Sequence[str], *, for_update: bool = False
                   ) -> list[Application]:
    """The applications in the order asked; NotFound names the first unknown id."""
    try:
        keys = [uuid.UUID(i) for i in ids]
    except ValueError as exc:
        raise NotFound(f"no application {exc}") from exc
    rows = await conn.fetch(_SELECT + " WHERE a.id = ANY($1::uuid[]) ORDER BY a.id"
                            + (" FOR UPDATE OF a" if for_update else ""), keys)
    found = {str(r["id"]): _from_row(r) for r in rows}
    missing = [i for i in ids if str(uuid.UUID(i)) not in found]
    if missing:
        raise NotFound(f"no application {missing[0]}")
    return [found[str(uuid.UUID(i))] for i in ids]


async def in_notice(conn: Connection, notice_id: str, status: str) -> list[Application]:
    rows = await conn.fetch(_SELECT + " WHERE a.notice_id = $1 AND a.status = $2"
                            " ORDER BY a.id FOR UPDATE OF a", notice_id, status)
    return [_from_row(r) for r in rows]


async def awaiting_notice(conn: Connection, program_code: str, division: str, limit: int
                          ) -> list[Application]:
    rows = await conn.fetch(
        _SELECT + " WHERE a.status = 'township_reviewed' AND a.program_code = $1"
        " AND coalesce(a.township_code, a.division_code) LIKE $2 || '%'"
        " ORDER BY a.submitted_at, a.id LIMIT $3 FOR UPDATE OF a",
        program_code, division, limit)
    return [_from_row(r) for r in rows]


async def live_of_person(conn: Connection, person_key: str) -> list[Application]:
    rows = await conn.fetch(_SELECT + f" WHERE a.person_key = $1 AND a.status IN {_LIVE_SQL}"
                            " FOR UPDATE OF a", person_key)
    return [_from_row(r) for r in rows]


async def save_many(conn: Connection, applications: Sequence[Application]) -> None:
    """Write the mutable columns of many applications in one statement."""
    columns = list(_MUTABLE)
    arrays: list[list[Any]] = [[a.id for a in applications]]
    for column in columns:
        arrays.append([getattr(a, column) for a in applications])
    unnest = ", ".join(f"${i + 2}::{t}[]" for i, t in enumerate(_MUTABLE.values()))
    sets = ", ".join(f"{c} = u.{c}" for c in columns)
    await conn.execute(
        f"UPDATE applications a SET {sets} FROM unnest($1::uuid[], {unnest})"
        f" AS u(id, {', '.join(columns)}) WHERE a.id = u.id", *arrays)


async def holdings(conn: Connection, person_keys: Sequence[str]) -> list[Holding]:
    """Live applications and live certifications of these people, any program."""
    rows = await conn.fetch(
        f"SELECT person_key, program_code, 'application' AS kind, id FROM applications"
        f" WHERE person_key = ANY($1::text[]) AND status IN {_LIVE_SQL}"
        " UNION ALL SELECT person_key, program_code, 'certification', id FROM certifications"
        " WHERE person_key = ANY($1::text[]) AND status IN ('active', 'suspended')",
        list(person_keys))
    return [Holding(r["person_key"], r["program_code"], r["kind"], str(r["id"])) for r in rows]


async def detail(conn: Connection, application_id: str) -> dict[str, Any]:
    """What the application view shows beyond the aggregate."""
    row = await conn.fetchrow(
        "SELECT a.facts, a.import_id, c.id AS certification_id FROM applications a"
        " LEFT JOIN certifications c ON c.application_id = a.id WHERE a.id = $1",
        uuid.UUID(application_id))
    objections = await conn.fetch(
        "SELECT complaint_id, status, filed_at, resolution, resolved_at FROM objections"
        " WHERE application_id = $1 ORDER BY filed_at", uuid.UUID(application_id))
    evidence = await conn.fetch(
        "SELECT id, kind, filename, content_type, size, sha256, uploaded_by, uploaded_at"
        " FROM evidence WHERE application_id = $1 ORDER BY uploaded_at",
        uuid.UUID(application_id))
    assert row is not None
    return {"facts": row["facts"],
            "import_id": str(row["import_id"]) if row["import_id"] else None,
            "certification_id": (str(row["certification_id"])
                                 if row["certification_id"] else None),
            "objections": [_plain(r) for r in objections],
            "evidence": [_plain(r) for r in evidence]}


async def search(conn: Connection, *, division: str, status: str | None,
                 program_code: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, status, program_code, category, masked_name, division_code,"
        " township_code, notice_id, submitted_at FROM applications"
        " WHERE coalesce(township_code, division_code) LIKE $1 || '%'"
        " AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR program_code = $3)"
        " ORDER BY submitted_at, id LIMIT $4 OFFSET $5",
        division, status, program_code, limit, offset)
    return [_plain(r) for r in rows]


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in row.items()}
