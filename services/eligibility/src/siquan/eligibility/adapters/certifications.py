"""Certifications and their history in eligibility's own database. Every change is a row
in `certification_history` written in the same unit of work as the status it sets."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import date, datetime
from typing import Any

import asyncpg

from siquan.eligibility.application.ports import Granted
from siquan.eligibility.domain.certification import Certification, Change
from siquan.eligibility.domain.errors import NotFound, Refused
from siquan.eligibility.domain.household_register import PER_HOUSEHOLD_REFUSAL
from siquan.shared.database import Connection, insert_rows

_FIELDS = [f.name for f in fields(Certification)]
_SELECT = f"SELECT {', '.join(_FIELDS)} FROM certifications"


def _from_row(row: asyncpg.Record) -> Certification:
    values: dict[str, Any] = {c: row[c] for c in _FIELDS}
    values["id"], values["application_id"] = str(row["id"]), str(row["application_id"])
    return Certification(**values)


_GRANTED = {
    "id": "uuid", "application_id": "uuid", "program_code": "text", "category": "text",
    "policy_version": "text", "person_key": "text", "division_code": "text",
    "township_code": "text", "effective_from": "date", "valid_until": "date",
    "reviewed_by": "text", "approved_by": "text", "approved_at": "timestamptz",
    "household_key": "text", "per_household": "bool", "end_assessed": "bool",
    "ends_on": "date", "ends_reason": "text",
}
_HISTORY = {
    "certification_id": "uuid", "status_from": "text", "status_to": "text",
    "effective_from": "date", "valid_until": "date", "reason": "text", "actor": "text",
    "recorded_at": "timestamptz",
}


class PgCertifications:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, granted: Sequence[Granted]) -> None:
        if not granted:
            return
        rows = [(g.certification.id, g.certification.application_id,
                 g.certification.program_code, g.certification.category,
                 g.certification.policy_version, g.certification.person_key,
                 g.certification.division_code, g.certification.township_code,
                 g.certification.effective_from, g.certification.valid_until, g.reviewed_by,
                 g.approved_by, g.approved_at, g.household_key, g.per_household,
                 g.ends is not None, *(g.ends or (None, None)))
                for g in granted]
        try:
            await insert_rows(self._conn, "certifications", _GRANTED, rows)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "one_live_certification_per_household_and_program":
                raise Refused(f"{granted[0].certification.program_code}: "
                              f"{PER_HOUSEHOLD_REFUSAL}") from exc
            raise Refused("a person in this batch already holds a live certification for "
                          "the program") from exc
        await insert_rows(self._conn, "certification_history", _HISTORY, [
            (g.certification.id, None, "active", g.certification.effective_from,
             g.certification.valid_until, "granted", g.approved_by, g.approved_at)
            for g in granted])

    async def get(self, certification_id: str, *, for_update: bool = False
                  ) -> Certification:
        return (await self.get_many([certification_id], for_update=for_update))[0]

    async def get_many(self, ids: Sequence[str], *, for_update: bool = False
                       ) -> list[Certification]:
        try:
            keys = [uuid.UUID(i) for i in ids]
        except ValueError as exc:
            raise NotFound(f"no certification {exc}") from exc
        rows = await self._conn.fetch(_SELECT + " WHERE id = ANY($1::uuid[]) ORDER BY id"
                                      + (" FOR UPDATE" if for_update else ""), keys)
        found = {str(r["id"]): _from_row(r) for r in rows}
        missing = [i for i in ids if str(uuid.UUID(i)) not in found]
        if missing:
            raise NotFound(f"no certification {missing[0]}")
        return [found[str(uuid.UUID(i))] for i in ids]

    async def live_of_person(self, person_key: str) -> list[Certification]:
        rows = await self._conn.fetch(
            _SELECT + " WHERE person_key = $1 AND status IN ('active', 'suspended')"
            " ORDER BY id FOR UPDATE", person_key)
        return [_from_row(r) for r in rows]

    async def due_to_lapse(self, today: date, grace_days: int,
                           grace_by_program: Mapping[str, int], limit: int
                           ) -> list[Certification]:
        # the index on valid_until narrows to what the shortest grace lets through
        shortest = min([grace_days, *grace_by_program.values()])
        rows = await self._conn.fetch(
            _SELECT + " WHERE status IN ('active', 'suspended')"
            " AND valid_until < $1::date - $2::int"
            " AND valid_until + coalesce(($3::jsonb ->> program_code)::int, $4::int) < $1::date"
            " ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED",
            today, shortest, dict(grace_by_program), grace_days, limit)
        return [_from_row(r) for r in rows]

    async def record(self, changed: Sequence[tuple[Certification, Change]], at: datetime
                     ) -> None:
        if not changed:
            return
        ended = ("lapsed", "revoked")
        try:
            await self._conn.execute(
                "UPDATE certifications c SET status = u.status, valid_until = u.valid_until,"
                " ended_on = u.ended_on, ended_reason = u.ended_reason"
                " FROM unnest($1::uuid[], $2::text[], $3::date[], $4::date[], $5::text[])"
                " AS u(id, status, valid_until, ended_on, ended_reason) WHERE c.id = u.id",
                [c.id for c, _ in changed], [c.status for c, _ in changed],
                [c.valid_until for c, _ in changed],
                [ch.effective_from if ch.status_to in ended else None for _, ch in changed],
                [ch.reason if ch.status_to in ended else None for _, ch in changed])
        except asyncpg.UniqueViolationError as exc:  # a revoked one made live again
            if exc.constraint_name == "one_live_certification_per_household_and_program":
                raise Refused(PER_HOUSEHOLD_REFUSAL) from exc
            raise Refused("the person holds another live certification for the program "
                          "now") from exc
        await insert_rows(self._conn, "certification_history", _HISTORY, [
            (c.id, ch.status_from, ch.status_to, ch.effective_from, ch.valid_until, ch.reason,
             ch.actor, at) for c, ch in changed])
        confirmed = [(c.id, ch.valid_until.year, ch.method, ch.evidence_reference, ch.actor, at)
                     for c, ch in changed
                     if ch.kind == "renewed" and ch.method and ch.valid_until]
        await insert_rows(self._conn, "reconfirmations", {
            "certification_id": "uuid", "year": "int", "method": "text",
            "evidence_reference": "text", "confirmed_by": "text", "confirmed_at": "timestamptz",
        }, confirmed)
