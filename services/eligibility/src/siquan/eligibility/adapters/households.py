"""The household register in eligibility's own database: households with their shared
facts, their members (a member who leaves keeps the row, with the day and reason), and the
live per-household certifications of their members. A person is in one household at a
time and a household has one head: unique indexes guard both, so competing requests are
refused, not doubled."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from siquan.eligibility.domain.errors import NotFound, Refused
from siquan.eligibility.domain.household import applicant_from_id
from siquan.eligibility.domain.household_register import Household, Member
from siquan.shared.database import Connection

_HOUSEHOLD = ("SELECT id, household_number, household_key, division_code, township_code,"
              " facts FROM households")
_MEMBERS = ("SELECT household_id, person_key, resident_id, masked_name, masked_resident_id,"
            " relationship FROM household_members WHERE removed_at IS NULL"
            " AND household_id = ANY($1::uuid[]) ORDER BY id")


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(f"no household {value}") from exc


def _member(row: asyncpg.Record) -> Member:
    return Member(row["person_key"], row["masked_name"], row["masked_resident_id"],
                  row["relationship"], applicant_from_id(row["resident_id"]))


class PgHouseholds:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def _load(self, rows: Sequence[asyncpg.Record]) -> list[Household]:
        members = await self._conn.fetch(_MEMBERS, [r["id"] for r in rows])
        by_household: dict[str, list[Member]] = {}
        for m in members:
            by_household.setdefault(str(m["household_id"]), []).append(_member(m))
        return [Household(str(r["id"]), r["household_number"], r["household_key"],
                          r["division_code"], r["township_code"], dict(r["facts"]),
                          tuple(by_household.get(str(r["id"]), ()))) for r in rows]

    async def add(self, household: Household, resident_ids: dict[str, str], *, by: str,
                  at: datetime) -> None:
        h = household
        try:
            await self._conn.execute(
                "INSERT INTO households (id, household_number, household_key, division_code,"
                " township_code, facts, registered_by, registered_at, updated_by, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7, $8)",
                h.id, h.household_number, h.household_key, h.division_code, h.township_code,
                h.facts, by, at)
        except asyncpg.UniqueViolationError as exc:
            raise Refused("this household register number is registered already") from exc
        for member in h.members:
            await self.add_member(h.id, member, resident_ids[member.person_key], by=by, at=at)

    async def get(self, household_id: str, *, for_update: bool = False) -> Household:
        lock = " FOR UPDATE" if for_update else ""
        rows = await self._conn.fetch(f"{_HOUSEHOLD} WHERE id = $1{lock}", _uuid(household_id))
        if not rows:
            raise NotFound(f"no household {household_id}")
        return (await self._load(rows))[0]

    async def by_number(self, household_number: str) -> Household | None:
        rows = await self._conn.fetch(f"{_HOUSEHOLD} WHERE household_number = $1",
                                      household_number)
        return (await self._load(rows))[0] if rows else None

    async def of_persons(self, person_keys: Sequence[str]) -> dict[str, Household]:
        rows = await self._conn.fetch(
            f"{_HOUSEHOLD} WHERE id IN (SELECT household_id FROM household_members"
            " WHERE removed_at IS NULL AND person_key = ANY($1::text[]))", list(person_keys))
        found: dict[str, Household] = {}
        for household in await self._load(rows):
            for member in household.members:
                if member.person_key in person_keys:
                    found[member.person_key] = household
        return found

    async def add_member(self, household_id: str, member: Member, resident_id: str, *,
                         by: str, at: datetime) -> None:
        try:
            await self._conn.execute(
                "INSERT INTO household_members (household_id, person_key, resident_id,"
                " masked_name, masked_resident_id, relationship, added_by, added_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                _uuid(household_id), member.person_key, resident_id, member.masked_name,
                member.masked_resident_id, member.relationship, by, at)
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name == "one_head_per_household":
                raise Refused("the household has a head already") from exc
            raise Refused("this person is a member of another household; remove them from "
                          "it first") from exc

    async def remove_member(self, household_id: str, person_key: str, reason: str, *,
                            by: str, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE household_members SET removed_by = $3, removed_at = $4,"
            " removal_reason = $5 WHERE household_id = $1 AND person_key = $2"
            " AND removed_at IS NULL", _uuid(household_id), person_key, by, at, reason)

    async def was_member(self, household_id: str, person_key: str) -> bool:
        return bool(await self._conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM household_members WHERE household_id = $1"
            " AND person_key = $2)", _uuid(household_id), person_key))

    async def set_facts(self, household_id: str, facts: dict[str, Any], *, by: str,
                        at: datetime) -> None:
        await self._conn.execute(
            "UPDATE households SET facts = $2, updated_by = $3, updated_at = $4"
            " WHERE id = $1", _uuid(household_id), facts, by, at)

    async def live_certified(self, household_keys: Sequence[str]) -> set[tuple[str, str]]:
        rows = await self._conn.fetch(
            "SELECT DISTINCT household_key, program_code FROM certifications"
            " WHERE household_key = ANY($1::text[]) AND per_household"
            " AND status IN ('active', 'suspended')", list(household_keys))
        return {(r["household_key"], r["program_code"]) for r in rows}
