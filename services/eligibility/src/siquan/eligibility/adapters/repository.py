"""Loading and saving applications and certifications in eligibility's own database."""

from __future__ import annotations

from dataclasses import asdict, fields

import asyncpg

from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.errors import NotFound, Refused

_COLUMNS = [f.name for f in fields(Application)]


async def add_application(conn: asyncpg.Connection, application: Application,
                          resident_id: str) -> None:
    values = asdict(application)
    try:
        await conn.execute(
            f"INSERT INTO applications ({', '.join(_COLUMNS)}, resident_id) VALUES "
            f"({', '.join(f'${i}' for i in range(1, len(_COLUMNS) + 2))})",
            *(values[c] for c in _COLUMNS), resident_id)
    except asyncpg.UniqueViolationError as exc:
        raise Refused(f"this person already has a live application or certification for "
                      f"{application.program_code}") from exc


async def get_application(conn: asyncpg.Connection, application_id: str, *,
                          for_update: bool = False) -> Application:
    row = await conn.fetchrow(
        f"SELECT {', '.join(_COLUMNS)} FROM applications WHERE id = $1"
        + (" FOR UPDATE" if for_update else ""), application_id)
    if row is None:
        raise NotFound(f"no application {application_id}")
    return Application(**{c: (str(row[c]) if c == "id" else row[c]) for c in _COLUMNS})


async def save_application(conn: asyncpg.Connection, application: Application) -> None:
    values = asdict(application)
    mutable = ["status", "reviewed_by", "reviewed_at", "review_reason", "approved_by",
               "approved_at"]
    await conn.execute(
        f"UPDATE applications SET {', '.join(f'{c} = ${i + 2}' for i, c in enumerate(mutable))}"
        " WHERE id = $1", application.id, *(values[c] for c in mutable))


async def add_certification(conn: asyncpg.Connection, *, certification_id: str,
                            application: Application, policy_version: str) -> None:
    await conn.execute(
        "INSERT INTO certifications (id, application_id, program_code, category,"
        " policy_version, person_key, division_code, effective_from, reviewed_by,"
        " approved_by, approved_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)",
        certification_id, application.id, application.program_code, application.category,
        policy_version, application.person_key, application.division_code,
        application.eligible_from, application.reviewed_by, application.approved_by,
        application.approved_at)


async def list_certifications(conn: asyncpg.Connection, program_code: str | None,
                              division_prefix: str) -> list[dict[str, object]]:
    rows = await conn.fetch(
        "SELECT id, application_id, program_code, category, policy_version, division_code,"
        " effective_from, status, reviewed_by, approved_by FROM certifications"
        " WHERE ($1::text IS NULL OR program_code = $1) AND division_code LIKE $2 || '%'"
        " ORDER BY approved_at", program_code, division_prefix)
    return [{k: (str(v) if k.endswith("id") else v) for k, v in row.items()} for row in rows]
