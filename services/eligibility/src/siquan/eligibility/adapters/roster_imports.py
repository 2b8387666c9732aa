"""Roster imports in eligibility's own database: the workbook kept with its report until a
second officer decides on it, the applications behind migrated certifications, and the
certifications marked as migrated from it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.errors import NotFound
from siquan.shared.database import Connection

_SHOWN = ("id", "filename", "sha256", "rows_read", "accepted", "refused", "report",
          "status", "submitted_by", "submitted_at", "decided_by", "decided_at",
          "decision_reason", "certifications_created")


def _key(import_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(import_id)
    except ValueError as exc:
        raise NotFound(f"no roster import {import_id}") from exc


class PgRosterImports:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, *, import_id: str, filename: str, sha256: str, content: bytes,
                  report: dict[str, Any], by: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO roster_imports (id, filename, sha256, content, rows_read, accepted,"
            " refused, report, submitted_by, submitted_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10)",
            _key(import_id), filename, sha256, content, report["rows_read"],
            report["accepted"], report["refused"], json.dumps(report), by, at)

    async def get_pending(self, import_id: str) -> dict[str, Any] | None:
        """Locked: the import while it awaits a decision."""
        row = await self._conn.fetchrow(
            "SELECT submitted_by, content, report FROM roster_imports"
            " WHERE id = $1 AND status = 'awaiting_approval' FOR UPDATE", _key(import_id))
        if row is None:
            return None
        return {"submitted_by": row["submitted_by"], "content": bytes(row["content"]),
                "report": json.loads(row["report"])}

    async def decide(self, import_id: str, status: str, *, by: str, at: datetime,
                     reason: str, created: int, report: dict[str, Any]) -> None:
        await self._conn.execute(
            "UPDATE roster_imports SET status = $2, decided_by = $3, decided_at = $4,"
            " decision_reason = $5, certifications_created = $6, report = $7::jsonb,"
            " accepted = $8, refused = $9 WHERE id = $1",
            _key(import_id), status, by, at, reason, created, json.dumps(report),
            report["accepted"], report["refused"])

    async def add_applications(self, import_id: str,
                               applications: Sequence[tuple[Application, str]]) -> None:
        """Each migrated certification's application, certified at once and marked as
        migrated from the roster import."""
        await self._conn.executemany(
            "INSERT INTO applications (id, program_code, category, resident_id, person_key,"
            " masked_name, masked_resident_id, division_code, township_code, eligible_from,"
            " status, submitted_by, submitted_at, review_reason, approved_by, approved_at,"
            " decided_by, decided_at, migrated_from)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'certified', $11, $12, $13,"
            " $14, $15, $14, $15, $16)",
            [(a.id, a.program_code, a.category, resident_id, a.person_key, a.masked_name,
              a.masked_resident_id, a.division_code, a.township_code, a.eligible_from,
              a.submitted_by, a.submitted_at, a.review_reason, a.approved_by, a.approved_at,
              _key(import_id)) for a, resident_id in applications])

    async def mark_migrated(self, import_id: str, certification_ids: Sequence[str]) -> None:
        await self._conn.execute(
            "UPDATE certifications SET migrated_from = $1 WHERE id = ANY($2::uuid[])",
            _key(import_id), [uuid.UUID(i) for i in certification_ids])

    async def show(self, import_id: str) -> dict[str, Any]:
        """The import's report; the certifications it created counted from the table."""
        row = await self._conn.fetchrow(
            f"SELECT {', '.join(_SHOWN)}, (SELECT count(*) FROM certifications c"
            " WHERE c.migrated_from = r.id) AS migrated"
            " FROM roster_imports r WHERE id = $1", _key(import_id))
        if row is None:
            raise NotFound(f"no roster import {import_id}")
        shown = {c: row[c] for c in _SHOWN}
        shown["import_id"] = str(shown.pop("id"))
        shown["report"] = json.loads(row["report"])
        shown["certifications_created"] = int(row["migrated"])
        return shown
