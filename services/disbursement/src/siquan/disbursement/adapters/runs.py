"""Payment runs in disbursement's database: the run row with its control totals, skips and
flags, its status, its totals by result, and the bookkeeping of its chunks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from siquan.contracts.periods import period_start
from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.domain.errors import NotFound
from siquan.disbursement.domain.payment_run import PaymentRun, RunTotals
from siquan.disbursement.domain.roster import Flag, Skip

_RUN_COLUMNS = ["run_id", "program_code", "period", "division_code", "policy_version",
                "payee_count", "total_fen", "started_by", "started_at", "status",
                "allocation_id", "rejection_reason", "completed_at", "kind", "retry_of"]


async def lock_roster(conn: Connection, program_code: str, period: str,
                      division_code: str) -> None:
    """Serialise run starts for one program, period and division (transaction-scoped)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                       f"run:{program_code}:{period}:{division_code}")


async def add(conn: Connection, run: PaymentRun, *, skipped: Sequence[Skip],
              flags: Sequence[Flag], arrears_count: int, arrears_fen: int) -> None:
    """The run row with its control totals (its payments are written in the same
    transaction; their foreign key is checked at commit)."""
    await conn.execute(
        "INSERT INTO payment_runs (run_id, program_code, period, division_code,"
        " policy_version, payee_count, total_fen, skipped, started_by, started_at, status,"
        " kind, retry_of, flags, arrears_count, arrears_fen)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        run.id, run.program_code, run.period, run.division_code, run.policy_version,
        run.payee_count, run.total_fen, [asdict(s) for s in skipped], run.started_by,
        run.started_at, run.status, run.kind, run.retry_of,
        [{**asdict(f), "registered_at": f.registered_at.isoformat()} for f in flags],
        arrears_count, arrears_fen)


async def first_regular_period(conn: Connection, program_code: str,
                               division_code: str) -> str | None:
    """The earliest period a regular run of the program paid in the division."""
    rows = await conn.fetch(
        "SELECT DISTINCT period FROM payment_runs WHERE program_code = $1"
        " AND division_code = $2 AND kind = 'regular'", program_code, division_code)
    periods = [r["period"] for r in rows]
    return min(periods, key=period_start) if periods else None


async def get(conn: Connection, run_id: str, *, for_update: bool = False
              ) -> PaymentRun:
    if not _is_uuid(run_id):
        raise NotFound(f"no payment run {run_id}")
    row = await conn.fetchrow(
        f"SELECT {', '.join(_RUN_COLUMNS)} FROM payment_runs WHERE run_id = $1"
        + (" FOR UPDATE" if for_update else ""), run_id)
    if row is None:
        raise NotFound(f"no payment run {run_id}")
    values = dict(row)
    values["id"] = str(values.pop("run_id"))
    values["retry_of"] = None if values["retry_of"] is None else str(values["retry_of"])
    return PaymentRun(**values)


async def save(conn: Connection, run: PaymentRun) -> None:
    await conn.execute(
        "UPDATE payment_runs SET status = $2, allocation_id = $3, rejection_reason = $4,"
        " completed_at = $5 WHERE run_id = $1",
        run.id, run.status, run.allocation_id, run.rejection_reason, run.completed_at)


async def listed(conn: Connection, run_id: str) -> dict[str, Any]:
    """What the run listed at its start: skips, flags and the arrears it includes."""
    row = await conn.fetchrow(
        "SELECT skipped, flags, arrears_count, arrears_fen, return_batches FROM payment_runs"
        " WHERE run_id = $1", run_id)
    assert row is not None
    return dict(row)


async def totals(conn: Connection, run_id: str) -> RunTotals:
    rows = await conn.fetch(
        "SELECT status, count(*) AS n, COALESCE(sum(amount_fen), 0) AS fen FROM payments"
        " WHERE run_id = $1 GROUP BY status", run_id)
    by_status = {r["status"]: (int(r["n"]), int(r["fen"])) for r in rows}
    values: dict[str, int] = {}
    for status in ("settled", "failed", "cancelled", "pending", "returned"):
        values[f"{status}_count"], values[f"{status}_fen"] = by_status.get(status, (0, 0))
    return RunTotals(**values)


async def chunks_published(conn: Connection, run_id: str) -> tuple[int, int]:
    """How many chunks carried settled payments, and how many failed ones."""
    row = await conn.fetchrow(
        "SELECT count(DISTINCT chunk) FILTER (WHERE status IN ('settled', 'returned')) AS s,"
        " count(DISTINCT chunk) FILTER (WHERE status = 'failed') AS f"
        " FROM payments WHERE run_id = $1", run_id)
    assert row is not None
    return int(row["s"]), int(row["f"])


async def allocated(conn: Connection, limit: int = 20) -> list[str]:
    rows = await conn.fetch("SELECT run_id FROM payment_runs WHERE status = 'allocated'"
                            " ORDER BY started_at LIMIT $1", limit)
    return [str(r["run_id"]) for r in rows]


async def next_chunk(conn: Connection, run_id: str) -> int:
    chunk: int = await conn.fetchval(
        "UPDATE payment_runs SET chunks_recorded = chunks_recorded + 1 WHERE run_id = $1"
        " RETURNING chunks_recorded - 1", run_id)
    return chunk


async def record_fund_settlement(conn: Connection, run_id: str,
                                 paid_fen: int) -> bool:
    if not _is_uuid(run_id):
        return False
    status = await conn.execute(
        "UPDATE payment_runs SET fund_settled_fen = $2, fund_settled_at = now()"
        " WHERE run_id = $1", run_id, paid_fen)
    return bool(status != "UPDATE 0")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def keep_trace_context(conn: Connection, run_id: str, carrier: dict[str, str]) -> None:
    """Remember the trace of the work that allocated the run, so paying it continues it."""
    await conn.execute("UPDATE payment_runs SET trace_context = $2 WHERE run_id = $1",
                       run_id, carrier)


async def trace_context(conn: Connection, run_id: str) -> dict[str, str]:
    carrier = await conn.fetchval("SELECT trace_context FROM payment_runs WHERE run_id = $1",
                                  run_id)
    return dict(carrier or {})
