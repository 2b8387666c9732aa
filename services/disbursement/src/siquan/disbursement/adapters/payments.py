"""A run's pending payments: claimed a chunk at a time (rows locked, so competing payers
never take the same payments), then finished with their results.

The claim reads each payment's certification terms and holds as they are now, and whether
another payment already settled the same (person, program, period, item), for the re-check
right before the bank is instructed. A chunk is thousands of rows: they stay records
(`Claimed`), read by name, with no object per payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import asyncpg

from siquan.disbursement.adapters.db import Connection

Claimed = asyncpg.Record  # columns of _CLAIM

_CLAIM = """
SELECT p.payment_id::text AS payment_id, p.person_key, p.certification_id, p.period,
       p.item, p.amount_fen, p.bank_code, p.account_number, t.effective_from,
       t.effective_until,
       EXISTS (SELECT 1 FROM holds h WHERE h.person_key = p.person_key
                 AND h.lifted_at IS NULL
                 AND (h.program_code IS NULL OR h.program_code = p.program_code)) AS held,
       EXISTS (SELECT 1 FROM payments o WHERE o.person_key = p.person_key
                 AND o.program_code = p.program_code AND o.period = p.period
                 AND o.item = p.item AND o.status = 'settled'
                 AND o.payment_id <> p.payment_id) AS paid_elsewhere
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
"""


class Outcome(NamedTuple):
    """A final result to record for one payment."""

    status: str  # settled, failed or cancelled
    reason: str = ""
    bank_reference: str | None = None


async def index_driven(conn: Connection) -> None:
    """A chunk touches thousands of rows of a table of millions, by key: keep the planner
    on index lookups (a hash join would scan the whole table per chunk) and skip JIT."""
    await conn.execute("SET LOCAL jit = off; SET LOCAL enable_hashjoin = off;"
                       " SET LOCAL enable_mergejoin = off")


async def claim_pending(conn: Connection, run_id: str, limit: int) -> list[Claimed]:
    return list(await conn.fetch(_CLAIM, run_id, limit))


async def finish(conn: Connection, outcomes: dict[str, Outcome], chunk: int | None) -> None:
    """Record final results of payments this transaction holds (claimed, so locked)."""
    if not outcomes:
        return
    ids = list(outcomes)
    values: Sequence[Outcome] = list(outcomes.values())
    status = await conn.execute(_FINISH, ids, [o.status for o in values],
                                [o.reason for o in values],
                                [o.bank_reference for o in values], chunk)
    if status != f"UPDATE {len(ids)}":
        raise RuntimeError(f"recorded {status} of {len(ids)} results: a payment was "
                           "not pending in this transaction")


async def any_pending(conn: Connection, run_id: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM payments WHERE run_id = $1 AND status = 'pending')",
        run_id)
    return found
