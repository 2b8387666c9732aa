"""Payment runs in disbursement's database: the roster's candidates as the local copies
show them, the run with its frozen payments, its status and its totals."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import date

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.errors import NotFound
from siquan.disbursement.domain.payment_run import PaymentRun, RunTotals
from siquan.disbursement.domain.roster import Candidate, PayeeAccount, Roster

_CANDIDATES = """
SELECT t.certification_id, t.person_key, t.program_code, t.category, t.division_code,
       t.effective_from, t.effective_until, a.bank_code, a.account_number,
       EXISTS (SELECT 1 FROM holds h WHERE h.person_key = t.person_key
                 AND h.lifted_at IS NULL
                 AND (h.program_code IS NULL OR h.program_code = t.program_code)) AS held,
       EXISTS (SELECT 1 FROM payments p WHERE p.person_key = t.person_key
                 AND p.program_code = t.program_code AND p.period = $2
                 AND p.item = 'benefit' AND p.status IN ('pending', 'settled'))
           AS already_paid
  FROM certification_terms t
  LEFT JOIN payee_accounts a ON a.person_key = t.person_key AND a.superseded_at IS NULL
 WHERE t.program_code = $1 AND t.division_code = $3 AND t.effective_from <= $5
   AND (t.effective_until IS NULL OR t.effective_until > $4)
"""

_RUN_COLUMNS = ["run_id", "program_code", "period", "division_code", "policy_version",
                "payee_count", "total_fen", "started_by", "started_at", "status",
                "allocation_id", "rejection_reason", "completed_at"]
_PAYMENT_COLUMNS = ["payment_id", "run_id", "certification_id", "person_key", "program_code",
                    "period", "item", "amount_fen", "bank_code", "account_number"]


async def lock_roster(conn: Connection, program_code: str, period: str,
                      division_code: str) -> None:
    """Serialise run starts for one program, period and division (transaction-scoped)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                       f"run:{program_code}:{period}:{division_code}")


async def candidates(conn: Connection, program_code: str, period: str,
                     division_code: str, start: date, end: date) -> list[Candidate]:
    rows = await conn.fetch(_CANDIDATES, program_code, period, division_code, start, end)
    return [Candidate(
        certification=Certification(
            id=r["certification_id"], person_key=r["person_key"],
            program_code=r["program_code"], category=r["category"],
            division_code=r["division_code"], effective_from=r["effective_from"],
            effective_until=r["effective_until"]),
        account=(PayeeAccount(r["bank_code"], r["account_number"])
                 if r["bank_code"] is not None else None),
        held=r["held"], already_paid=r["already_paid"]) for r in rows]


async def add(conn: Connection, run: PaymentRun, roster: Roster,
              payment_ids: list[str]) -> None:
    await conn.execute(
        "INSERT INTO payment_runs (run_id, program_code, period, division_code,"
        " policy_version, payee_count, total_fen, skipped, started_by, started_at, status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        run.id, run.program_code, run.period, run.division_code, run.policy_version,
        run.payee_count, run.total_fen, [asdict(s) for s in roster.skipped], run.started_by,
        run.started_at, run.status)
    await conn.copy_records_to_table("payments", columns=_PAYMENT_COLUMNS, records=[
        (payment_id, run.id, p.certification_id, p.person_key, run.program_code, run.period,
         "benefit", p.amount_fen, p.account.bank_code, p.account.account_number)
        for payment_id, p in zip(payment_ids, roster.payments, strict=True)])


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
    return PaymentRun(**values)


async def save(conn: Connection, run: PaymentRun) -> None:
    await conn.execute(
        "UPDATE payment_runs SET status = $2, allocation_id = $3, rejection_reason = $4,"
        " completed_at = $5 WHERE run_id = $1",
        run.id, run.status, run.allocation_id, run.rejection_reason, run.completed_at)


async def skipped(conn: Connection, run_id: str) -> list[dict[str, str]]:
    found: list[dict[str, str]] = await conn.fetchval(
        "SELECT skipped FROM payment_runs WHERE run_id = $1", run_id)
    return found


async def totals(conn: Connection, run_id: str) -> RunTotals:
    rows = await conn.fetch(
        "SELECT status, count(*) AS n, COALESCE(sum(amount_fen), 0) AS fen FROM payments"
        " WHERE run_id = $1 GROUP BY status", run_id)
    by_status = {r["status"]: (int(r["n"]), int(r["fen"])) for r in rows}
    values: dict[str, int] = {}
    for status in ("settled", "failed", "cancelled", "pending"):
        values[f"{status}_count"], values[f"{status}_fen"] = by_status.get(status, (0, 0))
    return RunTotals(**values)


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
