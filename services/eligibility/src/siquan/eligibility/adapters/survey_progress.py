"""The console's survey imports in eligibility's own database: each one's progress while
its rows are checked and its report once done (refused rows by number, field and reason),
read by whichever process answers the officer's page."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from siquan.shared.database import Connection

STALE_AFTER_SECONDS = 600
"""An import not heard of for this long (by the database's clock: the progress is the
processes' shared fact) stopped with its process: shown as failed."""


def _key(import_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(import_id)
    except ValueError:
        return None


class PgSurveyProgress:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def start(self, *, import_id: str, officer_id: str, filename: str, total: int,
                    at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO survey_import_progress (id, officer_id, filename, total,"
            " started_at, updated_at) VALUES ($1, $2, $3, $4, $5, now())",
            uuid.UUID(import_id), officer_id, filename[:200], total, at)

    async def checked(self, import_id: str, checked: int, stage: str) -> None:
        await self._conn.execute(
            "UPDATE survey_import_progress SET checked = greatest(checked, $2), stage = $3,"
            " updated_at = now() WHERE id = $1 AND stage IN ('checking', 'saving')",
            uuid.UUID(import_id), checked, stage)

    async def finish(self, import_id: str, *, accepted: int, refused_rows: int,
                     errors: list[tuple[int, str, str]], failure: str) -> None:
        await self._conn.execute(
            "UPDATE survey_import_progress SET stage = $2, accepted = $3, refused_rows = $4,"
            " errors = $5::jsonb, failure = $6, updated_at = now(),"
            " checked = CASE WHEN $2 = 'done' THEN total ELSE checked END WHERE id = $1",
            uuid.UUID(import_id), "failed" if failure else "done", accepted, refused_rows,
            [{"row": r, "field": f, "error": e} for r, f, e in errors],
            failure)

    async def get(self, import_id: str, officer_id: str) -> dict[str, Any] | None:
        """The officer's import (None for another officer's or none), with `stale` set
        when it was not heard of for `STALE_AFTER_SECONDS` before it finished."""
        key = _key(import_id)
        if key is None:
            return None
        row = await self._conn.fetchrow(
            "SELECT *, stage IN ('checking', 'saving')"
            " AND updated_at < now() - make_interval(secs => $3) AS stale"
            " FROM survey_import_progress WHERE id = $1 AND officer_id = $2",
            key, officer_id, STALE_AFTER_SECONDS)
        if row is None:
            return None
        found = dict(row)
        found["id"] = str(found["id"])
        found["errors"] = [(e["row"], e["field"], e["error"])
                           for e in found["errors"]]
        return found
