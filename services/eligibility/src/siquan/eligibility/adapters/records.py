"""The records kept around applications: community review meetings, survey imports and
evidence files, and the deaths public security reported."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from siquan.eligibility.domain.death import Death
from siquan.shared.database import Connection


class PgCommunityReviews:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, *, review_id: str, scope: str, held_on: date, present: int,
                  passed: int, failed: int, by: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO community_reviews (id, scope_code, held_on, present, passed, failed,"
            " recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            review_id, scope, held_on, present, passed, failed, by, at)


class PgSurveyImports:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, *, import_id: str, filename: str, sha256: str, rows: int,
                  accepted: int, by: str, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO survey_imports (id, filename, sha256, rows_read, accepted, refused,"
            " imported_by, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            import_id, filename, sha256, rows, accepted, rows - accepted, by, at)


class PgEvidence:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, *, evidence_id: str, application_id: str, kind: str, filename: str,
                  content_type: str, content: bytes, sha256: str, by: str, at: datetime
                  ) -> None:
        await self._conn.execute(
            "INSERT INTO evidence (id, application_id, kind, filename, content_type, size,"
            " sha256, content, uploaded_by, uploaded_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            evidence_id, application_id, kind, filename, content_type, len(content), sha256,
            content, by, at)


class PgDeaths:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(self, death: Death, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO deaths (report_id, person_key, date_of_death, recorded_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (report_id) DO NOTHING",
            death.report_id, death.person_key, death.date_of_death, at)

    async def of(self, person_keys: Sequence[str]) -> dict[str, date]:
        rows = await self._conn.fetch(
            "SELECT person_key, min(date_of_death) FROM deaths"
            " WHERE person_key = ANY($1::text[]) GROUP BY person_key", list(person_keys))
        return {r[0]: r[1] for r in rows}
