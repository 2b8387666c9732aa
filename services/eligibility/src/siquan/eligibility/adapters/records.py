"""The records kept around applications: community review meetings, survey imports and
evidence files, the deaths from every source and public security's death files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

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

    async def kinds_on_file(self, application_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for row in await self._conn.fetch(
                "SELECT DISTINCT application_id, kind FROM evidence"
                " WHERE application_id = ANY($1::uuid[])", list(application_ids)):
            found.setdefault(str(row["application_id"]), set()).add(row["kind"])
        return found


class PgDeaths:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(self, death: Death, at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO deaths (report_id, person_key, date_of_death, recorded_at, source,"
            " evidence_kind, document_number, recorded_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (report_id) DO NOTHING",
            death.report_id, death.person_key, death.date_of_death, at, death.source,
            death.evidence_kind, death.document_number, death.recorded_by)

    async def of(self, person_keys: Sequence[str]) -> dict[str, date]:
        rows = await self._conn.fetch(
            "SELECT person_key, min(date_of_death) FROM deaths"
            " WHERE person_key = ANY($1::text[]) GROUP BY person_key", list(person_keys))
        return {r[0]: r[1] for r in rows}

    async def known(self, report_ids: Sequence[str]) -> set[str]:
        rows = await self._conn.fetch(
            "SELECT report_id FROM deaths WHERE report_id = ANY($1::text[])", list(report_ids))
        return {r[0] for r in rows}

    async def lock_file(self, file_id: str) -> None:
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended('death_file:' || $1, 0))", file_id)

    async def file_report(self, file_id: str) -> dict[str, Any] | None:
        report = await self._conn.fetchval(
            "SELECT report FROM death_files WHERE file_id = $1", file_id)
        return dict(report) if report is not None else None

    async def keep_file(self, report: dict[str, Any], *, key_id: str, at: datetime
                        ) -> None:
        await self._conn.execute(
            "INSERT INTO death_files (file_id, sha256, key_id, lines, accepted, duplicate,"
            " refused, report, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            report["file_id"], report["sha256"], key_id, report["lines"], report["accepted"],
            report["duplicate"], report["refused"], report, at)
