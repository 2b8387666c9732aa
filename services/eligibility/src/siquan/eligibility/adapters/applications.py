"""Applications in eligibility's own database: batch inserts, loads with their open
objections, set-based saves (one statement for a whole batch), and the live holdings of
people used for duplicate detection.

A locked read first locks the rows (`FOR UPDATE`, waiting for another unit that holds
them), then loads them in a second statement, so what it returns — open objections
included — is what was committed when the lock was granted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import fields
from datetime import date
from typing import Any

import asyncpg

from siquan.eligibility.application.ports import Holding, NewApplication
from siquan.eligibility.domain.application import LIVE, Application, Status
from siquan.eligibility.domain.errors import NotFound, Refused
from siquan.eligibility.domain.household import applicant_from_id
from siquan.shared.database import Connection, insert_rows

_FIELDS = [f.name for f in fields(Application) if f.name != "open_objections"]
_IDS = {"id", "community_review_id", "notice_id"}
_TYPES = {  # the columns not of type text
    "id": "uuid", "eligible_from": "date", "submitted_at": "timestamptz",
    "reviewed_at": "timestamptz", "approved_at": "timestamptz", "import_id": "uuid",
    "community_review_id": "uuid", "community_reviewed_at": "timestamptz",
    "notice_id": "uuid", "decided_at": "timestamptz", "migrated_from": "uuid",
}
_MUTABLE = {c: _TYPES.get(c, "text") for c in (  # what a save writes
    "status", "community_review_id", "community_reviewed_by", "community_reviewed_at",
    "reviewed_by", "reviewed_at", "review_reason", "notice_id", "approved_by", "approved_at",
    "rejected_stage", "decided_by", "decided_at")}
_INSERTED = {**{c: _TYPES.get(c, "text") for c in _FIELDS}, "resident_id": "text",
             "facts": "jsonb", "import_id": "uuid"}
_SELECT = (f"SELECT {', '.join('a.' + c for c in _FIELDS)}, (SELECT count(*) FROM objections o"
           " WHERE o.application_id = a.id AND o.status = 'open') AS open_objections"
           " FROM applications a")
_LIVE_SQL = "(" + ", ".join(f"'{s}'" for s in LIVE) + ")"


def _from_row(row: asyncpg.Record) -> Application:
    values: dict[str, Any] = dict(zip(_FIELDS, row.values(), strict=False))  # `_SELECT`'s order
    for column in _IDS:
        if values[column] is not None:
            values[column] = str(values[column])
    return Application(**values, open_objections=int(row["open_objections"]))


def _keys(ids: Sequence[str]) -> list[uuid.UUID]:
    try:
        return [uuid.UUID(i) for i in ids]
    except ValueError as exc:
        raise NotFound(f"no application {exc}") from exc


class PgApplications:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, new: Sequence[NewApplication]) -> None:
        rows = [(*(getattr(n.application, c) for c in _FIELDS), n.resident_id, n.facts,
                 n.import_id) for n in new]
        try:
            await insert_rows(self._conn, "applications", _INSERTED, rows)
        except asyncpg.UniqueViolationError as exc:
            raise Refused("a person in this batch already has a live application or "
                          "certification for its program (entered concurrently)") from exc

    async def get(self, application_id: str, *, for_update: bool = False) -> Application:
        return (await self.get_many([application_id], for_update=for_update))[0]

    async def get_many(self, ids: Sequence[str], *, for_update: bool = False
                       ) -> list[Application]:
        keys = _keys(ids)
        if for_update:
            await self._lock("a.id = ANY($1::uuid[])", keys)
        found = {a.id: a for a in await self._load(keys)}
        missing = [i for i in ids if str(uuid.UUID(i)) not in found]
        if missing:
            raise NotFound(f"no application {missing[0]}")
        return [found[str(uuid.UUID(i))] for i in ids]

    async def find_many(self, ids: Sequence[str], *, for_update: bool = False
                        ) -> dict[str, Application]:
        keys = sorted({uuid.UUID(i) for i in ids})
        if for_update:
            keys = await self._lock("a.id = ANY($1::uuid[])", keys)
        return {a.id: a for a in await self._load(keys)}

    async def notices_of(self, ids: Sequence[str]) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT DISTINCT notice_id FROM applications WHERE id = ANY($1::uuid[])"
            " AND status = 'on_notice' ORDER BY 1", _keys(ids))
        return [str(r[0]) for r in rows]

    async def in_notice(self, notice_id: str, status: Status) -> list[Application]:
        keys = await self._lock("a.notice_id = $1 AND a.status = $2", notice_id, status)
        return await self._load(keys)

    async def awaiting_notice(self, program_code: str, division: str, limit: int
                              ) -> list[Application]:
        keys = await self._lock(
            "a.status = 'township_reviewed' AND a.program_code = $1"
            " AND coalesce(a.township_code, a.division_code) LIKE $2 || '%'",
            program_code, division, order="a.submitted_at, a.id", limit=limit)
        return await self._load(keys, order="a.submitted_at, a.id")

    async def live_of_person(self, person_key: str) -> list[Application]:
        keys = await self._lock(f"a.person_key = $1 AND a.status IN {_LIVE_SQL}", person_key)
        return await self._load(keys)

    async def _lock(self, where: str, *args: Any, order: str = "a.id",
                    limit: int | None = None) -> list[uuid.UUID]:
        """Lock the matching rows (waiting for any unit that holds them); their ids."""
        bound = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = await self._conn.fetch(f"SELECT a.id FROM applications a WHERE {where}"
                                      f" ORDER BY {order}{bound} FOR UPDATE OF a", *args)
        return [r[0] for r in rows]

    async def _load(self, keys: list[uuid.UUID], order: str = "a.id") -> list[Application]:
        if not keys:
            return []
        rows = await self._conn.fetch(_SELECT + f" WHERE a.id = ANY($1::uuid[]) ORDER BY {order}",
                                      keys)
        return [_from_row(r) for r in rows]

    async def save(self, applications: Sequence[Application]) -> None:
        """Write the mutable columns of many applications in one statement."""
        if not applications:
            return
        columns = list(_MUTABLE)
        arrays: list[list[Any]] = [[a.id for a in applications]]
        for column in columns:
            arrays.append([getattr(a, column) for a in applications])
        unnest = ", ".join(f"${i + 2}::{t}[]" for i, t in enumerate(_MUTABLE.values()))
        sets = ", ".join(f"{c} = u.{c}" for c in columns)
        await self._conn.execute(
            f"UPDATE applications a SET {sets} FROM unnest($1::uuid[], {unnest})"
            f" AS u(id, {', '.join(columns)}) WHERE a.id = u.id", *arrays)

    async def holdings(self, person_keys: Sequence[str]) -> list[Holding]:
        """The live applications and certifications of these people. The applications are
        looked up person by person (the keys joined to the index of one live application
        per person and program): asked as `person_key = ANY(...)` beside the status, the
        planner took the index of statuses and read every live application for each
        batch, 8 of a 100,000-application cycle's database seconds."""
        rows = await self._conn.fetch(
            "SELECT a.person_key, a.program_code, 'application' AS kind, a.id"
            " FROM unnest($1::text[]) AS k (person_key) JOIN applications a"
            f" ON a.person_key = k.person_key WHERE a.status IN {_LIVE_SQL}"
            " UNION ALL SELECT person_key, program_code, 'certification', id FROM certifications"
            " WHERE person_key = ANY($1::text[]) AND status IN ('active', 'suspended')",
            sorted(set(person_keys)))
        return [Holding(r["person_key"], r["program_code"], r["kind"], str(r["id"]))
                for r in rows]

    async def applicants(self, ids: Sequence[str]
                         ) -> dict[str, tuple[date, dict[str, Any] | None]]:
        rows = await self._conn.fetch("SELECT id, resident_id, facts FROM applications"
                                      " WHERE id = ANY($1::uuid[])", _keys(ids))
        return {str(r["id"]): (applicant_from_id(r["resident_id"]).birth_date, r["facts"])
                for r in rows}
