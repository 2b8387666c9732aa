"""Findings, holds and flags in oversight's database.

A finding is unique by its `dedup_key`: inserting one already there changes nothing and
tells the caller so, which is what keeps a redelivered event or a second sweep from
publishing it twice. At most one hold per person and program (or all programs) is active.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from siquan.oversight.reconciliation.domain.bank import DISPUTED_KINDS, OpenDispute
from siquan.oversight.reconciliation.domain.findings import BANK_RESULT_DIFFERS, Finding, Flag
from siquan.shared.database import Connection

_FINDING_FIELDS = ("certification_id", "person_key", "officer_id", "application_id",
                   "run_id", "program_code", "period", "division_code", "amount_fen")
_FINDING_COLUMNS = ("finding_id, category, rule, status, reason, evidence, decision, "
                    + ", ".join(_FINDING_FIELDS) + ", raised_at, message_id, outcome, "
                    "resolution, resolved_by, resolved_at, details")
_HOLD_COLUMNS = ("hold_id, person_key, run_id, program_code, division_code, finding_id, reason,"
                 " evidence, placed_by, placed_at, lifted_at, lifted_by, lift_reason")


def _plain(row: asyncpg.Record) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in dict(row).items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif key in ("finding_id", "hold_id", "message_id", "flag_id") and value is not None:
            out[key] = str(value)
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class FindingQuery:
    category: str | None = None
    status: str | None = None
    rule: str | None = None
    person_key: str | None = None
    officer_id: str | None = None
    run_id: str | None = None
    application_id: str | None = None
    division_prefix: str = ""
    limit: int = 100
    offset: int = 0


class PgFindings:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def insert_finding(self, finding_id: str, f: Finding,
                             raised_at: datetime) -> bool:
        """Store a new finding; False when one with its key exists."""
        inserted = await self._conn.fetchval(
            "INSERT INTO findings (finding_id, dedup_key, category, rule, reason, evidence,"
            " decision, " + ", ".join(_FINDING_FIELDS) + ", raised_at, message_id, details)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
            " $17, NULL, $18) ON CONFLICT (dedup_key) DO NOTHING RETURNING true",
            finding_id, f.dedup_key, f.rule.category, f.rule.name, f.reason, list(f.evidence),
            f.decision, *(getattr(f, name) for name in _FINDING_FIELDS), raised_at,
            None if f.details is None else dict(f.details))
        return bool(inserted)

    async def set_finding_message(self, finding_id: str, message_id: str) -> None:
        await self._conn.execute("UPDATE findings SET message_id = $2 WHERE finding_id = $1",
                           finding_id, message_id)

    async def find_findings(self, q: FindingQuery) -> list[dict[str, Any]]:
        """Findings matching every given criterion, newest first; findings about a division
        outside `division_prefix` are left out."""
        rows = await self._conn.fetch(
            f"SELECT {_FINDING_COLUMNS} FROM findings"
            " WHERE ($1::text IS NULL OR category = $1) AND ($2::text IS NULL OR status = $2)"
            " AND ($3::text IS NULL OR rule = $3) AND ($4::text IS NULL OR person_key = $4)"
            " AND ($5::text IS NULL OR officer_id = $5) AND ($6::text IS NULL OR run_id = $6)"
            " AND ($7::text IS NULL OR application_id = $7"
            "      OR certification_id IN (SELECT certification_id FROM watched_certifications"
            "                              WHERE application_id = $7))"
            " AND (division_code IS NULL OR division_code LIKE $8 || '%')"
            " ORDER BY raised_at DESC, finding_id LIMIT $9 OFFSET $10",
            q.category, q.status, q.rule, q.person_key, q.officer_id, q.run_id,
            q.application_id, q.division_prefix, q.limit, q.offset)
        return [_plain(row) for row in rows]

    async def get_finding(self, finding_id: str, *, lock: bool = False
                          ) -> dict[str, Any] | None:
        row = await self._conn.fetchrow(
            f"SELECT {_FINDING_COLUMNS} FROM findings WHERE finding_id = $1"
            + (" FOR UPDATE" if lock else ""), finding_id)
        return _plain(row) if row else None

    async def resolve_finding(self, finding_id: str, *, outcome: str,
                              resolution: str, resolved_by: str, resolved_at: datetime,
                              message_id: str) -> None:
        await self._conn.execute(
            "UPDATE findings SET status = 'resolved', outcome = $2, resolution = $3,"
            " resolved_by = $4, resolved_at = $5, resolution_message_id = $6"
            " WHERE finding_id = $1", finding_id, outcome, resolution, resolved_by, resolved_at,
            message_id)

    async def active_hold(self, person_key: str, program_code: str | None
                          ) -> str | None:
        """The active hold covering the person for the program (or every program)."""
        hold = await self._conn.fetchval(
            "SELECT hold_id FROM holds WHERE person_key = $1 AND lifted_at IS NULL"
            " AND (program_code IS NULL OR program_code = $2) LIMIT 1", person_key, program_code)
        return str(hold) if hold else None

    async def open_by_keys(self, dedup_keys: Iterable[str]) -> dict[str, str]:
        rows = await self._conn.fetch(
            "SELECT dedup_key, finding_id::text FROM findings"
            " WHERE dedup_key = ANY($1::text[]) AND status = 'open'", list(set(dedup_keys)))
        return {row["dedup_key"]: row["finding_id"] for row in rows}

    async def open_result_disputes(self, run_ids: Sequence[str]) -> dict[str, OpenDispute]:
        rows = await self._conn.fetch(
            "SELECT finding_id::text, details->>'payment_id' AS payment_id,"
            " (details->>'found_at')::timestamptz AS found_at FROM findings"
            " WHERE run_id = ANY($1::text[]) AND rule = $2 AND status = 'open'"
            " AND details->>'kind' = ANY($3::text[])",
            list(run_ids), BANK_RESULT_DIFFERS.name, list(DISPUTED_KINDS))
        return {r["payment_id"]: OpenDispute(r["finding_id"], r["payment_id"], r["found_at"])
                for r in rows}

    async def held_by_findings(self, person_key: str) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT h.hold_id::text, h.finding_id::text, f.rule, f.certification_id,"
            " f.status FROM holds h JOIN findings f ON f.finding_id = h.finding_id"
            " WHERE h.person_key = $1 AND h.lifted_at IS NULL ORDER BY h.placed_at",
            person_key)
        return [dict(r) for r in rows]

    async def insert_hold(self, *, hold_id: str, person_key: str,
                          program_code: str | None, division_code: str | None,
                          finding_id: str | None, reason: str, placed_by: str,
                          placed_at: datetime, message_id: str,
                          evidence: tuple[str, ...] = ()) -> None:
        await self._conn.execute(
            "INSERT INTO holds (hold_id, person_key, program_code, division_code, finding_id,"
            " reason, placed_by, placed_at, message_id, evidence) VALUES ($1, $2, $3, $4, $5,"
            " $6, $7, $8, $9, $10)", hold_id, person_key, program_code, division_code,
            finding_id, reason, placed_by, placed_at, message_id, list(evidence))

    async def run_division(self, run_id: str) -> str | None:
        """The division of a run oversight heard disbursement start (None: never heard)."""
        division = await self._conn.fetchval(
            "SELECT division_code FROM watched_runs WHERE run_id = $1", run_id)
        return str(division) if division is not None else None

    async def active_run_hold(self, run_id: str) -> str | None:
        hold = await self._conn.fetchval(
            "SELECT hold_id FROM holds WHERE run_id = $1 AND lifted_at IS NULL", run_id)
        return str(hold) if hold else None

    async def insert_run_hold(self, *, hold_id: str, run_id: str, division_code: str,
                              reason: str, evidence: tuple[str, ...], placed_by: str,
                              placed_at: datetime, message_id: str) -> None:
        await self._conn.execute(
            "INSERT INTO holds (hold_id, run_id, division_code, reason, evidence, placed_by,"
            " placed_at, message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", hold_id,
            run_id, division_code, reason, list(evidence), placed_by, placed_at, message_id)

    async def get_hold(self, hold_id: str, *, lock: bool = False
                       ) -> dict[str, Any] | None:
        row = await self._conn.fetchrow(f"SELECT {_HOLD_COLUMNS} FROM holds WHERE hold_id = $1"
                                  + (" FOR UPDATE" if lock else ""), hold_id)
        return _plain(row) if row else None

    async def lift_hold(self, hold_id: str, *, lifted_by: str, lifted_at: datetime,
                        reason: str, message_id: str) -> None:
        await self._conn.execute(
            "UPDATE holds SET lifted_at = $2, lifted_by = $3, lift_reason = $4,"
            " lift_message_id = $5 WHERE hold_id = $1", hold_id, lifted_at, lifted_by, reason,
            message_id)

    async def find_holds(self, *, active: bool | None, person_key: str | None,
                         division_prefix: str, limit: int, run_id: str | None = None
                         ) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            f"SELECT {_HOLD_COLUMNS} FROM holds"
            " WHERE ($1::bool IS NULL OR (lifted_at IS NULL) = $1)"
            " AND ($2::text IS NULL OR person_key = $2)"
            " AND (division_code IS NULL OR division_code LIKE $3 || '%')"
            " AND ($5::text IS NULL OR run_id = $5)"
            " ORDER BY placed_at DESC LIMIT $4", active, person_key, division_prefix, limit,
            run_id)
        return [_plain(row) for row in rows]

    async def held_persons(self, person_keys: list[str], program_code: str
                           ) -> set[str]:
        rows = await self._conn.fetch(
            "SELECT DISTINCT person_key FROM holds WHERE person_key = ANY($1::text[])"
            " AND lifted_at IS NULL AND (program_code IS NULL OR program_code = $2)",
            person_keys, program_code)
        return {row["person_key"] for row in rows}

    async def insert_flag(self, flag_id: str, flag: Flag, raised_at: datetime
                          ) -> bool:
        inserted = await self._conn.fetchval(
            "INSERT INTO flags (flag_id, dedup_key, kind, person_key, run_id, program_code,"
            " period, division_code, evidence, reason, raised_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            " ON CONFLICT (dedup_key) DO NOTHING RETURNING true",
            flag_id, flag.dedup_key, flag.kind, flag.person_key, flag.run_id, flag.program_code,
            flag.period, flag.division_code, list(flag.evidence), flag.reason, raised_at)
        return bool(inserted)

    async def find_flags(self, *, kind: str | None, person_key: str | None,
                         division_prefix: str, limit: int) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT flag_id, kind, person_key, run_id, program_code, period, division_code,"
            " evidence, reason, raised_at FROM flags"
            " WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR person_key = $2)"
            " AND (division_code IS NULL OR division_code LIKE $3 || '%')"
            " ORDER BY raised_at DESC LIMIT $4", kind, person_key, division_prefix, limit)
        return [_plain(row) for row in rows]

    async def await_evidence(self, f: Finding, waiting_for: tuple[str, ...],
                             at: datetime) -> None:
        """Keep `f` as incomplete evidence (again, if it was withdrawn), unless a finding
        with its key was raised."""
        await self._conn.execute(
            "INSERT INTO awaiting_evidence (dedup_key, rule, reason, evidence, waiting_for,"
            " person_key, certification_id, run_id, program_code, period, division_code,"
            " amount_fen, first_seen_at, last_seen_at)"
            " SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13"
            " WHERE NOT EXISTS (SELECT 1 FROM findings WHERE dedup_key = $1)"
            " ON CONFLICT (dedup_key) DO UPDATE SET status = 'incomplete_evidence',"
            " waiting_for = EXCLUDED.waiting_for, last_seen_at = EXCLUDED.last_seen_at,"
            " settled_at = NULL",
            f.dedup_key, f.rule.name, f.reason, list(f.evidence), list(waiting_for),
            f.person_key, f.certification_id, f.run_id, f.program_code, f.period,
            f.division_code, f.amount_fen, at)

    async def awaiting_keys(self, rules: Sequence[str]) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT dedup_key FROM awaiting_evidence WHERE status = 'incomplete_evidence'"
            " AND rule = ANY($1::text[]) ORDER BY first_seen_at LIMIT 1000", list(rules))
        return [row["dedup_key"] for row in rows]

    async def settle_awaiting(self, rule: str, at: datetime,
                              keys: Sequence[str] | None = None) -> int:
        result = await self._conn.execute(
            "UPDATE awaiting_evidence a SET settled_at = $2, status = CASE WHEN EXISTS"
            " (SELECT 1 FROM findings f WHERE f.dedup_key = a.dedup_key) THEN 'raised'"
            " ELSE 'withdrawn' END WHERE a.rule = $1 AND a.status = 'incomplete_evidence'"
            " AND ($3::text[] IS NULL OR a.dedup_key = ANY($3::text[]))",
            rule, at, None if keys is None else list(keys))
        return int(result.split()[-1])

    async def find_awaiting(self, *, status: str | None, person_key: str | None,
                            division_prefix: str, limit: int, offset: int = 0
                            ) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT dedup_key, rule, status, reason, evidence, waiting_for, person_key,"
            " certification_id, run_id, program_code, period, division_code, amount_fen,"
            " first_seen_at, last_seen_at, settled_at FROM awaiting_evidence"
            " WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR person_key = $2)"
            " AND (division_code IS NULL OR division_code LIKE $3 || '%')"
            " ORDER BY first_seen_at DESC, dedup_key LIMIT $4 OFFSET $5",
            status, person_key, division_prefix, limit, offset)
        return [_plain(row) for row in rows]
