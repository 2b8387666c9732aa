"""Transfers and category changes in eligibility's own database; each decision also
updates the certification (its county, township or category) and writes a history row,
in the caller's unit of work."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

from siquan.eligibility.domain.application import LIVE
from siquan.eligibility.domain.case_changes import CategoryChange, Transfer
from siquan.eligibility.domain.certification import Certification
from siquan.eligibility.domain.errors import NotFound, Refused
from siquan.shared.database import Connection

_TRANSFER = ("SELECT id::text AS id, certification_id::text AS certification_id,"
             " from_division_code, to_division_code, to_township_code, effective_from, reason,"
             " initiated_by, initiated_at, status, decided_by, decided_at, refusal_reason"
             " FROM certification_transfers")
_LIVE_SQL = "(" + ", ".join(f"'{s}'" for s in LIVE) + ")"


class PgCaseChanges:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def latest_change(self, certification_id: str) -> date | None:
        """The first day of the latest transfer or category change in force (or due)."""
        found: date | None = await self._conn.fetchval(
            "SELECT max(d) FROM (SELECT effective_from AS d FROM certification_transfers"
            " WHERE certification_id = $1::uuid AND status = 'accepted' UNION ALL"
            " SELECT effective_from FROM certification_category_changes"
            " WHERE certification_id = $1::uuid) x", certification_id)
        return found

    async def add_transfer(self, t: Transfer) -> None:
        try:
            await self._conn.execute(
                "INSERT INTO certification_transfers (id, certification_id,"
                " from_division_code, to_division_code, to_township_code, effective_from,"
                " reason, initiated_by, initiated_at)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                t.id, t.certification_id, t.from_division_code, t.to_division_code,
                t.to_township_code, t.effective_from, t.reason, t.initiated_by,
                t.initiated_at)
        except asyncpg.UniqueViolationError as exc:
            raise Refused(f"certification {t.certification_id} already has a transfer "
                          "pending") from exc

    async def transfer(self, transfer_id: str, *, for_update: bool = False) -> Transfer:
        try:
            key = uuid.UUID(transfer_id)
        except ValueError as exc:
            raise NotFound("no such transfer") from exc
        row = await self._conn.fetchrow(_TRANSFER + " WHERE id = $1"
                                        + (" FOR UPDATE" if for_update else ""), key)
        if row is None:
            raise NotFound(f"no transfer {key}")
        return Transfer(**dict(row))

    async def transfers_to(self, county: str, status: str | None) -> list[Transfer]:
        rows = await self._conn.fetch(
            _TRANSFER + " WHERE (to_division_code = $1 OR from_division_code LIKE $1 || '%')"
            " AND ($2::text IS NULL OR status = $2) ORDER BY initiated_at, id", county, status)
        return [Transfer(**dict(r)) for r in rows]

    async def decide_transfer(self, t: Transfer) -> None:
        await self._conn.execute(
            "UPDATE certification_transfers SET status = $2, decided_by = $3,"
            " decided_at = $4, refusal_reason = $5 WHERE id = $1",
            uuid.UUID(t.id), t.status, t.decided_by, t.decided_at, t.refusal_reason)

    async def add_category_change(self, c: CategoryChange) -> None:
        await self._conn.execute(
            "INSERT INTO certification_category_changes (id, certification_id, from_category,"
            " to_category, effective_from, reason, decided_by, decided_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            c.id, c.certification_id, c.from_category, c.to_category, c.effective_from,
            c.reason, c.decided_by, c.decided_at)

    async def moved(self, c: Certification, *, effective_from: date, reason: str, actor: str,
                    at: datetime) -> None:
        """The certification's county, township and category as they now are, and the
        history row that says why."""
        await self._conn.execute(
            "UPDATE certifications SET division_code = $2, township_code = $3, category = $4"
            " WHERE id = $1::uuid", c.id, c.division_code, c.township_code, c.category)
        await self._conn.execute(
            "INSERT INTO certification_history (certification_id, status_from, status_to,"
            " effective_from, valid_until, reason, actor, recorded_at)"
            " VALUES ($1, $2, $2, $3, $4, $5, $6, $7)",
            c.id, c.status, effective_from, c.valid_until, reason, actor, at)

    async def applicant(self, application_id: str) -> tuple[str, dict[str, Any] | None]:
        row = await self._conn.fetchrow(
            "SELECT resident_id, facts FROM applications WHERE id = $1::uuid", application_id)
        if row is None:
            raise NotFound(f"no application {application_id}")
        return row["resident_id"], row["facts"]

    async def restate(self, application_id: str, facts: dict[str, Any]) -> None:
        await self._conn.execute("UPDATE applications SET facts = $2 WHERE id = $1::uuid",
                                 application_id, facts)

    async def restate_household(self, person_keys: Sequence[str], shared: dict[str, Any]
                                ) -> None:
        await self._conn.execute(
            "UPDATE applications a SET facts = a.facts || $2::jsonb"
            " WHERE a.person_key = ANY($1::text[]) AND a.facts IS NOT NULL"
            f" AND (a.status IN {_LIVE_SQL} OR EXISTS (SELECT 1 FROM certifications c"
            " WHERE c.application_id = a.id AND c.status IN ('active', 'suspended')))",
            list(person_keys), shared)
