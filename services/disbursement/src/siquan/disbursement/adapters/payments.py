"""A run's pending payments: claimed a chunk at a time (rows locked, so competing payers
never take the same payments), then finished with their results.

The claim reads each payment's certification terms and holds as they are now, for the
re-check right before the bank is instructed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.domain.certification import Certification
from siquan.disbursement.domain.payment import Payment, PaymentCheck
from siquan.disbursement.domain.roster import PayeeAccount

_CLAIM = """
SELECT p.payment_id, p.run_id, p.person_key, p.certification_id, p.period, p.item,
       p.amount_fen, p.bank_code, p.account_number,
       t.program_code, t.category, t.division_code, t.effective_from, t.effective_until,
       EXISTS (SELECT 1 FROM holds h WHERE h.person_key = p.person_key
                 AND h.lifted_at IS NULL
                 AND (h.program_code IS NULL OR h.program_code = p.program_code)) AS held
  FROM payments p
  LEFT JOIN certification_terms t ON t.certification_id = p.certification_id
 WHERE p.run_id = $1 AND p.status = 'pending'
 ORDER BY p.payment_id
 LIMIT $2
   FOR UPDATE OF p SKIP LOCKED
"""

_FINISH = """
UPDATE payments p
   SET status = r.status, reason = r.reason, bank_reference = r.bank_reference,
       chunk = $5, finished_at = now()
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[])
       AS r (payment_id, status, reason, bank_reference)
 WHERE p.payment_id = r.payment_id AND p.status = 'pending'
RETURNING p.payment_id, p.person_key, p.certification_id, p.item, p.amount_fen,
          p.status, p.reason, p.bank_reference
"""


@dataclass(frozen=True)
class Outcome:
    """A final result to record for one payment."""

    payment_id: str
    status: str  # settled, failed or cancelled
    reason: str = ""
    bank_reference: str | None = None


@dataclass(frozen=True)
class Finished:
    payment_id: str
    person_key: str
    certification_id: str
    item: str
    amount_fen: int
    status: str
    reason: str
    bank_reference: str | None


async def claim_pending(conn: Connection, run_id: str,
                        limit: int) -> list[PaymentCheck]:
    return [_check(r) for r in await conn.fetch(_CLAIM, run_id, limit)]


async def finish(conn: Connection, outcomes: Sequence[Outcome],
                 chunk: int | None) -> list[Finished]:
    """Record final results of payments this transaction holds; returns what changed."""
    if not outcomes:
        return []
    rows = await conn.fetch(_FINISH, [o.payment_id for o in outcomes],
                            [o.status for o in outcomes], [o.reason for o in outcomes],
                            [o.bank_reference for o in outcomes], chunk)
    return [Finished(payment_id=str(r["payment_id"]), person_key=r["person_key"],
                     certification_id=r["certification_id"], item=r["item"],
                     amount_fen=r["amount_fen"], status=r["status"], reason=r["reason"],
                     bank_reference=r["bank_reference"]) for r in rows]


async def any_pending(conn: Connection, run_id: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM payments WHERE run_id = $1 AND status = 'pending')",
        run_id)
    return found


def _check(r: asyncpg.Record) -> PaymentCheck:
    payment = Payment(id=str(r["payment_id"]), run_id=str(r["run_id"]),
                      person_key=r["person_key"], certification_id=r["certification_id"],
                      period=r["period"], item=r["item"], amount_fen=r["amount_fen"],
                      account=PayeeAccount(r["bank_code"], r["account_number"]))
    certification = None if r["program_code"] is None else Certification(
        id=r["certification_id"], person_key=r["person_key"], program_code=r["program_code"],
        category=r["category"], division_code=r["division_code"],
        effective_from=r["effective_from"], effective_until=r["effective_until"])
    return PaymentCheck(payment, certification, r["held"])
