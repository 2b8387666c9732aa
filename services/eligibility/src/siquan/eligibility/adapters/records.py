"""The records kept around applications: community review meetings, survey imports and
evidence files, the deaths from every source and public security's death files."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import asyncpg

from siquan.eligibility.application.ports import (
    DeathCorrection,
    DeathScope,
    NewEvidence,
    RecordedDeath,
)
from siquan.eligibility.domain.death import Death
from siquan.eligibility.domain.errors import NotFound
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

    async def on_file(self, application_ids: Sequence[str]
                      ) -> dict[tuple[str, str, str], str]:
        rows = await self._conn.fetch(
            "SELECT application_id, kind, sha256, min(id::text) AS id FROM evidence"
            " WHERE application_id = ANY($1::uuid[]) GROUP BY 1, 2, 3", list(application_ids))
        return {(str(r["application_id"]), r["kind"], r["sha256"]): r["id"] for r in rows}

    async def add_many(self, rows: Sequence[NewEvidence]) -> None:
        if not rows:
            return
        await self._conn.execute(
            "INSERT INTO evidence (id, application_id, kind, filename, content_type, size,"
            " sha256, content, uploaded_by, uploaded_at)"
            " SELECT id, application_id, kind, filename, content_type, octet_length(content),"
            " sha256, content, uploaded_by, uploaded_at FROM unnest($1::uuid[], $2::uuid[],"
            " $3::text[], $4::text[], $5::text[], $6::text[], $7::bytea[], $8::text[],"
            " $9::timestamptz[]) AS e (id, application_id, kind, filename, content_type,"
            " sha256, content, uploaded_by, uploaded_at)",
            [r.evidence_id for r in rows], [r.application_id for r in rows],
            [r.kind for r in rows], [r.filename for r in rows],
            [r.content_type for r in rows], [r.sha256 for r in rows],
            [r.content for r in rows], [r.by for r in rows], [r.at for r in rows])

    async def kinds_on_file(self, application_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for row in await self._conn.fetch(
                "SELECT DISTINCT application_id, kind FROM evidence"
                " WHERE application_id = ANY($1::uuid[])", list(application_ids)):
            found.setdefault(str(row["application_id"]), set()).add(row["kind"])
        return found


_DEATH_COLUMNS = (
    "report_id, person_key, date_of_death, recorded_at, source, evidence_kind,"
    " document_number, recorded_by, masked_resident_id, file_id, file_line, division_code,"
    " township_code, revoked_certification_ids, corrected_at, corrected_by,"
    " correction_reason, correction_evidence_kind, correction_document_number")


def _death(row: asyncpg.Record) -> RecordedDeath:
    death = Death(row["report_id"], row["person_key"], row["date_of_death"], row["source"],
                  row["evidence_kind"], row["document_number"], row["recorded_by"],
                  row["masked_resident_id"], row["file_id"], row["file_line"])
    scope = (DeathScope(row["division_code"], row["township_code"])
             if row["division_code"] is not None else None)
    correction = (DeathCorrection(
        "", row["correction_reason"], row["correction_evidence_kind"],
        row["correction_document_number"], row["corrected_by"], row["corrected_at"])
        if row["corrected_at"] is not None else None)
    return RecordedDeath(death, row["recorded_at"], scope,
                         tuple(row["revoked_certification_ids"]), correction)


class PgDeaths:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(self, death: Death, at: datetime, *, scope: DeathScope | None = None,
                     revoked: Sequence[str] = ()) -> None:
        d = death
        await self._conn.execute(
            "INSERT INTO deaths (report_id, person_key, date_of_death, recorded_at, source,"
            " evidence_kind, document_number, recorded_by, masked_resident_id, file_id,"
            " file_line, division_code, township_code, revoked_certification_ids)"
            " SELECT $1::text, $2::text, $3::date, $4::timestamptz, $5::text, $6::text,"
            " $7::text, $8::text, $9::text, $10::text, $11::int,"
            " coalesce($12::text, o.division_code), CASE WHEN $12::text IS NULL"
            " THEN o.township_code ELSE $13::text END, $14::text[]"
            " FROM (SELECT NULL) AS nothing LEFT JOIN LATERAL ("
            "   SELECT division_code, township_code FROM deaths WHERE person_key = $2"
            "   AND division_code IS NOT NULL AND corrected_at IS NULL"
            "   ORDER BY recorded_at LIMIT 1) o ON true"
            " ON CONFLICT (report_id) DO NOTHING",
            d.report_id, d.person_key, d.date_of_death, at, d.source, d.evidence_kind,
            d.document_number, d.recorded_by, d.masked_resident_id, d.file_id, d.file_line,
            scope.division_code if scope else None, scope.township_code if scope else None,
            list(revoked))

    async def of(self, person_keys: Sequence[str]) -> dict[str, date]:
        rows = await self._conn.fetch(
            "SELECT person_key, min(date_of_death) FROM deaths"
            " WHERE person_key = ANY($1::text[]) AND corrected_at IS NULL"
            " GROUP BY person_key", list(person_keys))
        return {r[0]: r[1] for r in rows}

    async def get(self, report_id: str, *, for_update: bool = False) -> RecordedDeath:
        row = await self._conn.fetchrow(
            f"SELECT {_DEATH_COLUMNS} FROM deaths WHERE report_id = $1"
            + (" FOR UPDATE" if for_update else ""), report_id)
        if row is None:
            raise NotFound("no death is recorded under this id")
        return _death(row)

    async def of_person(self, person_key: str, *, for_update: bool = False
                        ) -> list[RecordedDeath]:
        rows = await self._conn.fetch(
            f"SELECT {_DEATH_COLUMNS} FROM deaths WHERE person_key = $1"
            " ORDER BY recorded_at, report_id" + (" FOR UPDATE" if for_update else ""),
            person_key)
        return [_death(r) for r in rows]

    async def correct(self, report_ids: Sequence[str], correction: DeathCorrection) -> None:
        c = correction
        await self._conn.execute(
            "UPDATE deaths SET corrected_at = $2, corrected_by = $3, correction_reason = $4,"
            " correction_evidence_kind = $5, correction_document_number = $6"
            " WHERE report_id = ANY($1::text[]) AND corrected_at IS NULL",
            list(report_ids), c.at, c.by, c.reason, c.evidence_kind, c.document_number)

    async def listed(self, *, division_prefix: str, died_from: date | None,
                     died_until: date | None, limit: int, offset: int
                     ) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT d.report_id, d.source, d.date_of_death, d.recorded_at, d.recorded_by,"
            " d.evidence_kind, d.document_number, d.file_id, d.file_line,"
            " coalesce(d.masked_resident_id, a.masked_resident_id) AS masked_resident_id,"
            " a.masked_name, d.division_code, d.township_code,"
            " d.revoked_certification_ids, d.corrected_at, d.corrected_by,"
            " d.correction_reason, d.correction_evidence_kind"
            " FROM deaths d LEFT JOIN LATERAL ("
            "   SELECT masked_name, masked_resident_id FROM applications"
            "   WHERE person_key = d.person_key ORDER BY submitted_at DESC LIMIT 1) a ON true"
            " WHERE coalesce(d.township_code, d.division_code) LIKE $1 || '%'"
            " AND ($2::date IS NULL OR d.date_of_death >= $2)"
            " AND ($3::date IS NULL OR d.date_of_death <= $3)"
            " ORDER BY d.date_of_death, d.recorded_at, d.report_id LIMIT $4 OFFSET $5",
            division_prefix, died_from, died_until, limit, offset)
        return [{**dict(r), "revoked_certification_ids": list(r["revoked_certification_ids"]),
                 "corrected": r["corrected_at"] is not None} for r in rows]

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
