"""Payment runs in disbursement's database: the run row with its control totals, skips and
flags, its status, the trace it continues, and its return batches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from siquan.contracts.periods import period_start
from siquan.disbursement.adapters.db import Connection
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


class PgRuns:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock_roster(self, program_code: str, period: str, division_code: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                                 f"run:{program_code}:{period}:{division_code}")

    async def first_regular_period(self, program_code: str, division_code: str
                                   ) -> str | None:
        rows = await self._conn.fetch(
            "SELECT DISTINCT period FROM payment_runs WHERE program_code = $1"
            " AND division_code = $2 AND kind = 'regular'", program_code, division_code)
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
            "SELECT skipped, flags, arrears_count, arrears_fen, return_batches"
            " FROM payment_runs WHERE run_id = $1", run_id)
        if row is None:
            raise NotFound(f"no payment run {run_id}")
        return dict(row)

    async def allocated(self, limit: int = 20) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT run_id FROM payment_runs r WHERE status = 'allocated'"
            " AND NOT EXISTS (SELECT 1 FROM run_holds h WHERE h.run_id = r.run_id"
            " AND h.lifted_at IS NULL) ORDER BY started_at LIMIT $1", limit)
        return [str(r["run_id"]) for r in rows]

    async def wake_payers(self, run_id: str) -> None:
        await self._conn.execute("SELECT pg_notify($1, $2)", PAYER_CHANNEL, run_id)

    async def record_fund_settlement(self, run_id: str, paid_fen: int) -> bool:
        if not is_uuid(run_id):
            return False
        status = await self._conn.execute(
            "UPDATE payment_runs SET fund_settled_fen = $2, fund_settled_at = now()"
            " WHERE run_id = $1", run_id, paid_fen)
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
