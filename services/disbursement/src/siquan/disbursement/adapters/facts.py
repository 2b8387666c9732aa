"""Disbursement's local copies of other powers' facts: certifications and their ends
(revocations, lapses, deaths), suspensions and reinstatements from eligibility and public
security, and holds from oversight.

Every write is idempotent and commutes with the others: a revocation, a reinstatement or a
lifted hold may arrive before what it ends, and the earliest end wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.application.repositories import CertificationChange, Hold
from siquan.disbursement.domain.certification import Certification


class PgCertifications:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, certification: Certification, *, policy_version: str,
                  approved_at: datetime) -> None:
        c = certification
        await self._conn.execute(
            "INSERT INTO certifications (certification_id, person_key, program_code,"
            " category, policy_version, division_code, effective_from, approved_at,"
            " household_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (certification_id) DO NOTHING",
            c.id, c.person_key, c.program_code, c.category, policy_version, c.division_code,
            c.effective_from, approved_at, c.household_key)

    async def end(self, certification_id: str, effective_from: date, reason: str,
                  decided_by: str) -> None:
        await self._conn.execute(
            "INSERT INTO certification_revocations (certification_id, effective_from, reason,"
            " revoked_by) VALUES ($1, $2, $3, $4) ON CONFLICT (certification_id) DO UPDATE"
            " SET effective_from = LEAST(certification_revocations.effective_from,"
            " EXCLUDED.effective_from)",
            certification_id, effective_from, reason, decided_by)

    async def unend(self, certification_ids: Sequence[str], effective_from: date) -> None:
        await self._conn.execute(
            "DELETE FROM certification_revocations WHERE certification_id = ANY($1::text[])"
            " AND effective_from = $2", list(certification_ids), effective_from)

    async def change(self, change: CertificationChange) -> None:
        c = change
        await self._conn.execute(
            "INSERT INTO certification_changes (change_id, certification_id, kind,"
            " effective_from, division_code, category, decided_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (change_id) DO NOTHING",
            c.change_id, c.certification_id, c.kind, c.effective_from, c.division_code,
            c.category, c.decided_at)

    async def suspend(self, certification_id: str, suspended_from: date) -> None:
        await self._conn.execute(
            "INSERT INTO certification_suspensions (certification_id, suspended_from)"
            " VALUES ($1, $2) ON CONFLICT DO NOTHING", certification_id, suspended_from)

    async def reinstate(self, certification_id: str, reinstated_from: date) -> None:
        await self._conn.execute(
            "INSERT INTO certification_reinstatements (certification_id, reinstated_from)"
            " VALUES ($1, $2) ON CONFLICT DO NOTHING", certification_id, reinstated_from)

    async def count_active(self, program_code: str, division_code: str, on: date) -> int:
        """The certifications the division pays on `on` (each in the county it belongs to
        that day)."""
        count = await self._conn.fetchval(
            "SELECT count(*) FROM certification_spans s JOIN certification_terms t"
            " USING (certification_id) WHERE s.program_code = $1"
            " AND s.division_code = $2 AND s.effective_from <= $3"
            " AND (s.span_until IS NULL OR s.span_until > $3)"
            " AND (t.effective_until IS NULL OR t.effective_until > $3)",
            program_code, division_code, on)
        return int(count)

    async def divisions_of(self, person_key: str, on: date) -> list[str]:
        """The counties the person's certifications belong to on `on` (or from when they
        start): a transferred certification is the sending county's up to the move and the
        receiving county's from it, with the person's account."""
        rows = await self._conn.fetch(
            "SELECT DISTINCT division_code FROM ("
            " SELECT DISTINCT ON (s.certification_id) s.division_code"
            " FROM certification_spans s JOIN certification_terms t USING (certification_id)"
            " WHERE s.person_key = $1 AND (s.span_until IS NULL OR s.span_until > $2)"
            " AND (s.span_until IS NULL OR s.effective_from < s.span_until)"
            " AND (t.effective_until IS NULL OR t.effective_until > $2)"
            " ORDER BY s.certification_id, s.effective_from) x ORDER BY division_code",
            person_key, on)
        return [r["division_code"] for r in rows]


class PgHolds:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def place(self, hold: Hold) -> None:
        await self._conn.execute(
            "INSERT INTO holds (hold_id, person_key, program_code, reason)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (hold_id) DO UPDATE"
            " SET program_code = EXCLUDED.program_code, reason = EXCLUDED.reason",
            hold.hold_id, hold.person_key, hold.program_code, hold.reason)

    async def lift(self, hold_id: str, person_key: str, reason: str,
                   lifted_at: datetime) -> None:
        # A lift that overtakes its placement leaves a lifted row the placement cannot
        # revive.
        await self._conn.execute(
            "INSERT INTO holds (hold_id, person_key, program_code, reason, lifted_at)"
            " VALUES ($1, $2, NULL, $3, $4) ON CONFLICT (hold_id) DO UPDATE"
            " SET lifted_at = COALESCE(holds.lifted_at, EXCLUDED.lifted_at)",
            hold_id, person_key, reason, lifted_at)


    async def place_on_run(self, hold_id: str, run_id: str, reason: str,
                           placed_at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO run_holds (hold_id, run_id, reason, placed_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (hold_id) DO UPDATE"
            " SET reason = EXCLUDED.reason, placed_at = EXCLUDED.placed_at",
            hold_id, run_id, reason, placed_at)

    async def lift_on_run(self, hold_id: str, run_id: str, reason: str,
                          lifted_at: datetime) -> None:
        await self._conn.execute(
            "INSERT INTO run_holds (hold_id, run_id, reason, lifted_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (hold_id) DO UPDATE"
            " SET lifted_at = COALESCE(run_holds.lifted_at, EXCLUDED.lifted_at)",
            hold_id, run_id, reason, lifted_at)

    async def on_run(self, run_id: str) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT hold_id, reason, placed_at FROM run_holds"
            " WHERE run_id = $1 AND lifted_at IS NULL ORDER BY placed_at", run_id)
        return [{"hold_id": r["hold_id"], "reason": r["reason"],
                 "placed_at": r["placed_at"].isoformat() if r["placed_at"] else None}
                for r in rows]


class PgDeaths:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(self, person_key: str, report_id: str, date_of_death: date,
                     benefits_end: date) -> None:
        await self._conn.execute(
            "INSERT INTO deaths (person_key, report_id, date_of_death, benefits_end)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (person_key) DO UPDATE"
            " SET report_id = EXCLUDED.report_id, date_of_death = EXCLUDED.date_of_death,"
            " benefits_end = EXCLUDED.benefits_end"
            " WHERE EXCLUDED.benefits_end < deaths.benefits_end",
            person_key, report_id, date_of_death, benefits_end)

    async def forget(self, person_key: str, date_of_death: date) -> None:
        await self._conn.execute(
            "DELETE FROM deaths WHERE person_key = $1 AND date_of_death = $2",
            person_key, date_of_death)
