"""Returned payments in disbursement's database: settled → returned (the trigger allows no
other change after settlement), numbered in return batches per run, and the last day of
returns already asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.application.ports import BankReturn

_MARK = """
UPDATE payments p
   SET status = 'returned', returned_on = r.returned_on, return_reason = r.reason
  FROM unnest($1::uuid[], $2::date[], $3::text[], $4::bigint[], $5::text[])
       AS r (payment_id, returned_on, reason, amount_fen, bank_reference)
 WHERE p.payment_id = r.payment_id AND p.status = 'settled'
   AND p.amount_fen = r.amount_fen AND p.bank_reference = r.bank_reference
RETURNING p.payment_id, p.run_id, p.person_key, p.period, p.amount_fen, p.bank_reference,
          p.return_reason, p.returned_on
"""


@dataclass(frozen=True)
class Returned:
    payment_id: str
    run_id: str
    person_key: str
    period: str
    amount_fen: int
    bank_reference: str
    reason: str
    returned_on: date


async def mark_returned(conn: Connection, returns: Sequence[BankReturn]) -> list[Returned]:
    """Payments that became returned now (settled here, same amount and reference)."""
    rows = await conn.fetch(_MARK, [r.payment_id for r in returns],
                            [r.returned_on for r in returns], [r.reason for r in returns],
                            [r.amount_fen for r in returns],
                            [r.bank_reference for r in returns])
    return [Returned(str(r["payment_id"]), str(r["run_id"]), r["person_key"], r["period"],
                     r["amount_fen"], r["bank_reference"], r["return_reason"],
                     r["returned_on"]) for r in rows]


async def next_batch(conn: Connection, run_id: str) -> int:
    batch: int = await conn.fetchval(
        "UPDATE payment_runs SET return_batches = return_batches + 1 WHERE run_id = $1"
        " RETURNING return_batches - 1", run_id)
    return batch


async def cursor(conn: Connection) -> date | None:
    covered: date | None = await conn.fetchval("SELECT through FROM bank_return_cursor")
    return covered


async def advance_cursor(conn: Connection, through: date) -> None:
    await conn.execute(
        "INSERT INTO bank_return_cursor (through) VALUES ($1) ON CONFLICT (only_row)"
        " DO UPDATE SET through = GREATEST(bank_return_cursor.through, EXCLUDED.through)",
        through)
