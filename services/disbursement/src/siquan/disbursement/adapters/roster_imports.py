"""A migrated roster in disbursement's own database: the imports read, the paid-through of
each migrated certification (what `roster.py` counts as paid and `runs.py` reaches back
to), and what a run paid the import's rows."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import date, datetime
from typing import Any

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.domain.errors import NotFound


@dataclass(frozen=True)
class MigratedRow:
    certification_id: str
    person_key: str
    program_code: str
    division_code: str
    category: str
    certified_since: date
    paid_through: str | None
    owed_from: date


def _key(import_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(import_id)
    except ValueError as exc:
        raise NotFound(f"no roster import {import_id}") from exc


class PgRosterImports:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def certification_of(self, person_key: str, program_code: str, category: str,
                               since: date) -> tuple[str, str] | None:
        """(id, division) of the person's certification of the program and category
        effective from `since` that no revocation ended."""
        row = await self._conn.fetchrow(
            "SELECT c.certification_id, c.division_code FROM certifications c"
            " WHERE c.person_key = $1 AND c.program_code = $2 AND c.category = $3"
            " AND c.effective_from = $4"
            " AND NOT EXISTS (SELECT 1 FROM certification_revocations r"
            "                  WHERE r.certification_id = c.certification_id)"
            " ORDER BY c.certification_id LIMIT 1", person_key, program_code, category, since)
        return None if row is None else (row["certification_id"], row["division_code"])

    async def add(self, import_id: str, sha256: str, report: dict[str, Any],
                  registered: int, by: str, at: datetime, rows: Sequence[MigratedRow]
                  ) -> None:
        """The import and its rows; a certification already migrated keeps its first
        paid-through."""
        await self._conn.execute(
            "INSERT INTO roster_imports (import_id, sha256, rows_read, accepted, refused,"
            " accounts_registered, report, imported_by, imported_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)",
            _key(import_id), sha256, report["rows_read"], report["accepted"],
            report["refused"], registered, json.dumps(report), by, at)
        await self._conn.executemany(
            "INSERT INTO migrated_paid_through (certification_id, person_key, program_code,"
            " division_code, category, certified_since, paid_through, owed_from, import_id)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (certification_id) DO NOTHING",
            [(*astuple(r), _key(import_id)) for r in rows])

    async def show(self, import_id: str) -> dict[str, Any]:
        row = await self._conn.fetchrow(
            "SELECT i.*, (SELECT count(*) FROM migrated_paid_through m"
            "              WHERE m.import_id = i.import_id) AS paid_through_recorded"
            " FROM roster_imports i WHERE import_id = $1", _key(import_id))
        if row is None:
            raise NotFound(f"no roster import {import_id}")
        return {"import_id": str(row["import_id"]), "sha256": row["sha256"],
                "rows_read": row["rows_read"], "accepted": row["accepted"],
                "refused": row["refused"],
                "certifications_found": int(row["paid_through_recorded"]),
                "accounts_registered": row["accounts_registered"],
                "report": json.loads(row["report"]), "imported_by": row["imported_by"],
                "imported_at": row["imported_at"]}

    async def rows(self, import_id: str, program_code: str, division_code: str
                   ) -> list[MigratedRow]:
        found = await self._conn.fetch(
            "SELECT certification_id, person_key, program_code, division_code, category,"
            " certified_since, paid_through, owed_from FROM migrated_paid_through"
            " WHERE import_id = $1 AND program_code = $2 AND division_code = $3",
            _key(import_id), program_code, division_code)
        return [MigratedRow(**dict(r)) for r in found]

    async def paid_in_run(self, import_id: str, run_id: str) -> dict[str, int]:
        row = await self._conn.fetchrow(
            "SELECT count(*) AS payments,"
            " COALESCE(sum(p.amount_fen) FILTER (WHERE p.status = 'settled'), 0)::bigint"
            "   AS settled_fen,"
            " COALESCE(sum(p.amount_fen) FILTER (WHERE p.status = 'pending'), 0)::bigint"
            "   AS pending_fen"
            " FROM payments p JOIN migrated_paid_through m"
            "   ON m.certification_id = p.certification_id AND m.import_id = $1"
            " WHERE p.run_id = $2::uuid", _key(import_id), run_id)
        assert row is not None
        return {k: int(row[k]) for k in ("payments", "settled_fen", "pending_fen")}

    async def paid_periods(self, import_id: str, program_code: str, division_code: str
                           ) -> dict[str, frozenset[str]]:
        """The periods a live benefit payment of the program paid each person of the
        import's rows (any run, arrears included), by person key."""
        found = await self._conn.fetch(
            "SELECT m.person_key, array_agg(DISTINCT p.period) AS periods"
            " FROM migrated_paid_through m JOIN payment_orders p"
            "   ON p.person_key = m.person_key AND p.program_code = m.program_code"
            "  AND p.item = 'benefit' AND p.live"
            " WHERE m.import_id = $1 AND m.program_code = $2 AND m.division_code = $3"
            " GROUP BY m.person_key", _key(import_id), program_code, division_code)
        return {r["person_key"]: frozenset(r["periods"]) for r in found}
