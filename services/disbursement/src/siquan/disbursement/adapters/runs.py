"""Payment runs in disbursement's database: the run row with its control totals, skips and
flags, its status, the trace it continues, and its return batches."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from siquan.contracts.periods import period_start
from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.adapters.payments import RUN_TOTALS
from siquan.disbursement.application.repositories import PAYER_CHANNEL
from siquan.disbursement.domain.errors import NotFound
from siquan.disbursement.domain.payment_run import PaymentRun
from siquan.disbursement.domain.roster import Flag, Skip

_RUN_COLUMNS = ["run_id", "program_code", "period", "division_code", "policy_version",
                "payee_count", "total_fen", "started_by", "started_at", "status",
                "allocation_id", "rejection_reason", "completed_at", "kind", "retry_of"]


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


# A page of runs with each run's payments counted by status ($1 program, $2 period,
# $3 status, each NULL for any; $4 the division prefix; $5 limit, $6 offset), added up
# from its chunks' tallies (`payments.RUN_TOTALS`).
_SEARCH = f"""
SELECT r.run_id::text AS run_id, r.kind, r.retry_of::text AS retry_of, r.program_code,
       r.period, r.division_code, r.status, r.payee_count, r.total_fen,
       jsonb_array_length(r.skipped) AS skipped_count, r.started_at, r.completed_at,
       t.settled_count + t.returned_count + t.failed_count + t.cancelled_count
           + t.pending_count AS payments_count,
       t.settled_count AS paid_count, t.settled_fen AS paid_fen, t.returned_count,
       t.returned_fen, t.failed_count, t.failed_fen, t.cancelled_count, t.cancelled_fen,
       t.pending_count, t.pending_fen, count(*) OVER () AS matching
  FROM payment_runs r, LATERAL ({RUN_TOTALS}) t
 WHERE ($1::text IS NULL OR r.program_code = $1) AND ($2::text IS NULL OR r.period = $2)
   AND ($3::text IS NULL OR r.status = $3) AND r.division_code LIKE $4 || '%'
 ORDER BY r.started_at DESC, r.run_id
 LIMIT $5 OFFSET $6
"""


class PgRuns:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock_roster(self, program_code: str, period: str, division_code: str, *,
                          exclusive_with: Collection[str] = ()) -> None:
        # Exclusivity first, in one order for every run (sorted), then the run's own key:
        # two exclusive programs' starts wait for each other, never in a cycle.
        group = sorted({program_code, *exclusive_with}) if exclusive_with else []
        keys = [*(f"exclusive:{p}:{division_code}" for p in group),
                f"run:{program_code}:{period}:{division_code}"]
        for key in keys:
            await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                                     key)

    async def first_regular_period(self, program_code: str, division_code: str
                                   ) -> str | None:
        rows = await self._conn.fetch(
            "SELECT DISTINCT period FROM payment_runs WHERE program_code = $1"
            " AND division_code = $2 AND kind = 'regular'"
            " UNION SELECT to_char(min(owed_from), 'YYYY-MM') FROM migrated_paid_through"
            " WHERE program_code = $1 AND division_code = $2 HAVING count(*) > 0",
            program_code, division_code)
        periods = [r["period"] for r in rows]
        return min(periods, key=period_start) if periods else None

    async def add(self, run: PaymentRun, *, skipped: Sequence[Skip], flags: Sequence[Flag],
                  arrears_count: int, arrears_fen: int) -> None:
        await self._conn.execute(
            "INSERT INTO payment_runs (run_id, program_code, period, division_code,"
            " policy_version, payee_count, total_fen, skipped, started_by, started_at, status,"
            " kind, retry_of, flags, arrears_count, arrears_fen)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            run.id, run.program_code, run.period, run.division_code, run.policy_version,
            run.payee_count, run.total_fen, [asdict(s) for s in skipped], run.started_by,
            run.started_at, run.status, run.kind, run.retry_of,
            [{**asdict(f), "registered_at": f.registered_at.isoformat()} for f in flags],
            arrears_count, arrears_fen)

    async def get(self, run_id: str, *, for_update: bool = False) -> PaymentRun:
        if not is_uuid(run_id):
            raise NotFound(f"no payment run {run_id}")
        row = await self._conn.fetchrow(
            f"SELECT {', '.join(_RUN_COLUMNS)} FROM payment_runs WHERE run_id = $1"
            + (" FOR UPDATE" if for_update else ""), run_id)
        if row is None:
            raise NotFound(f"no payment run {run_id}")
        values = dict(row)
        values["id"] = str(values.pop("run_id"))
        values["retry_of"] = None if values["retry_of"] is None else str(values["retry_of"])
        return PaymentRun(**values)

    async def save(self, run: PaymentRun) -> None:
        await self._conn.execute(
            "UPDATE payment_runs SET status = $2, allocation_id = $3, rejection_reason = $4,"
            " completed_at = $5 WHERE run_id = $1",
            run.id, run.status, run.allocation_id, run.rejection_reason, run.completed_at)

    async def listed(self, run_id: str) -> dict[str, Any]:
        row = await self._conn.fetchrow(
            "SELECT skipped, flags, arrears_count, arrears_fen, return_batches,"
            " (SELECT count(*) FROM entitlement_offsets e WHERE e.run_id = r.run_id)"
            "   AS offset_count,"
            " (SELECT COALESCE(sum(e.offset_fen), 0) FROM entitlement_offsets e"
            "   WHERE e.run_id = r.run_id)::bigint AS offset_fen"
            " FROM payment_runs r WHERE run_id = $1", run_id)
        if row is None:
            raise NotFound(f"no payment run {run_id}")
        return dict(row)

    async def search(self, *, program_code: str | None, period: str | None,
                     status: str | None, division_prefix: str, limit: int, offset: int
                     ) -> tuple[int, list[dict[str, Any]]]:
        """How many runs match, and a page of them (latest first) with their counts."""
        rows = await self._conn.fetch(_SEARCH, program_code, period, status,
                                      division_prefix, limit, offset)
        if not rows and offset:  # past the last page: still say how many match
            total = await self._conn.fetchval(
                "SELECT count(*) FROM payment_runs r"
                " WHERE ($1::text IS NULL OR r.program_code = $1)"
                " AND ($2::text IS NULL OR r.period = $2)"
                " AND ($3::text IS NULL OR r.status = $3) AND r.division_code LIKE $4 || '%'",
                program_code, period, status, division_prefix)
            return int(total), []
        return (int(rows[0]["matching"]) if rows else 0), [dict(r) for r in rows]

    async def allocated(self, limit: int = 20) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT run_id FROM payment_runs r WHERE status = 'allocated'"
            " AND NOT EXISTS (SELECT 1 FROM run_holds h WHERE h.run_id = r.run_id"
            " AND h.lifted_at IS NULL) ORDER BY started_at LIMIT $1", limit)
        return [str(r["run_id"]) for r in rows]

    async def wake_payers(self, run_id: str) -> None:
        await self._conn.execute("SELECT pg_notify($1, $2)", PAYER_CHANNEL, run_id)

    async def record_fund_settlement(self, run_id: str, paid_fen: int, at: datetime) -> bool:
        if not is_uuid(run_id):
            return False
        status = await self._conn.execute(
            "UPDATE payment_runs SET fund_settled_fen = $2, fund_settled_at = $3"
            " WHERE run_id = $1", run_id, paid_fen, at)
        return bool(status != "UPDATE 0")

    async def keep_trace_context(self, run_id: str, carrier: dict[str, str]) -> None:
        await self._conn.execute(
            "UPDATE payment_runs SET trace_context = $2 WHERE run_id = $1", run_id, carrier)

    async def trace_context(self, run_id: str) -> dict[str, str]:
        carrier = await self._conn.fetchval(
            "SELECT trace_context FROM payment_runs WHERE run_id = $1", run_id)
        return dict(carrier or {})

    async def next_return_batch(self, run_id: str) -> int:
        batch: int = await self._conn.fetchval(
            "UPDATE payment_runs SET return_batches = return_batches + 1 WHERE run_id = $1"
            " RETURNING return_batches - 1", run_id)
        return batch
