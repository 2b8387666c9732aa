"""Bank statements in disbursement's database: what each import found, and the run's
payments a statement is reconciled with."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.adapters.runs import is_uuid
from siquan.disbursement.domain.statement import SETTLED, Difference, HeldPayment

_HELD = """
SELECT payment_id::text, status, account_number, amount_fen, bank_reference
  FROM payments WHERE run_id = $1 AND payment_id = ANY($2::uuid[])
"""
_SETTLED_NOT_STATED = """
SELECT payment_id::text, status, account_number, amount_fen, bank_reference
  FROM payments WHERE run_id = $1 AND status = ANY($3::text[])
   AND NOT (payment_id = ANY($2::uuid[]))
 ORDER BY payment_id
"""
_DIFFERENCE_COLUMNS = ["kind", "line", "payment_id", "expected_amount_fen",
                       "stated_amount_fen", "expected_account", "stated_account",
                       "held_status", "bank_reference"]


class PgStatements:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock(self, run_id: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                                 f"statement:{run_id}")

    async def held(self, run_id: str, payment_ids: Sequence[str]
                   ) -> tuple[dict[str, HeldPayment], list[HeldPayment]]:
        """The run's payments these ids name, and its settled payments they do not."""
        ids = sorted({p for p in payment_ids if is_uuid(p)})
        named = [HeldPayment(*r) for r in await self._conn.fetch(_HELD, run_id, ids)]
        others = [HeldPayment(*r) for r in await self._conn.fetch(
            _SETTLED_NOT_STATED, run_id, ids, list(SETTLED))]
        return {p.payment_id: p for p in named}, others

    async def imported(self, run_id: str, sha256: str) -> dict[str, Any] | None:
        row = await self._conn.fetchrow(
            "SELECT statement_id::text, batch, sha256, line_count, total_fen,"
            " matched_count AS matched,"
            " imported_by, imported_at FROM bank_statements WHERE run_id = $1 AND sha256 = $2",
            run_id, sha256)
        if row is None:
            return None
        found = dict(row)
        rows = await self._conn.fetch(
            f"SELECT {', '.join(_DIFFERENCE_COLUMNS)} FROM bank_statement_differences"
            " WHERE statement_id = $1 ORDER BY seq", found["statement_id"])
        found["differences"] = [Difference(**dict(r)) for r in rows]
        return found

    async def add(self, *, run_id: str, batch: str, sha256: str, line_count: int,
                  total_fen: int, matched: int, differences: Sequence[Difference],
                  imported_by: str, imported_at: datetime) -> str:
        statement_id = str(uuid.uuid4())
        await self._conn.execute(
            "INSERT INTO bank_statements (statement_id, run_id, batch, sha256, line_count,"
            " total_fen, matched_count, difference_count, imported_by, imported_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            statement_id, run_id, batch, sha256, line_count, total_fen, matched,
            len(differences), imported_by, imported_at)
        if differences:
            await self._conn.executemany(
                f"INSERT INTO bank_statement_differences (statement_id, seq,"
                f" {', '.join(_DIFFERENCE_COLUMNS)}) VALUES ($1, $2, "
                + ", ".join(f"${n}" for n in range(3, 3 + len(_DIFFERENCE_COLUMNS))) + ")",
                [(statement_id, seq, *(asdict(d)[c] for c in _DIFFERENCE_COLUMNS))
                 for seq, d in enumerate(differences)])
        return statement_id
