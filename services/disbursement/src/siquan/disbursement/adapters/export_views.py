"""What the exports read: a run's payments, a page at a time, in a stable order (the
account number is read to be masked; nothing else leaves with it), and a bank statement's
import with its differences (accounts stored masked) and the run's settled sum."""

from __future__ import annotations

import uuid
from typing import Any

from siquan.disbursement.adapters.runs import is_uuid
from siquan.shared.database import Connection


class RunExportViews:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def payments(self, run_id: str, *, limit: int, offset: int
                       ) -> list[dict[str, Any]]:
        rows = await self._conn.fetch(
            "SELECT payment_id::text AS payment_id, certification_id, period, item,"
            " amount_fen, bank_code, account_number, status, reason, bank_reference,"
            " returned_on, return_reason FROM payments WHERE run_id = $1"
            " ORDER BY period, certification_id, item, payment_id LIMIT $2 OFFSET $3",
            uuid.UUID(run_id), limit, offset)
        return [dict(r) for r in rows]

    async def statement(self, run_id: str, statement_id: str) -> dict[str, Any] | None:
        """One import of a statement for the run, its differences in line order; None when
        the run has no such import."""
        if not is_uuid(statement_id):
            return None
        row = await self._conn.fetchrow(
            "SELECT statement_id::text, batch, sha256, line_count, total_fen, matched_count,"
            " difference_count, imported_by, imported_at FROM bank_statements"
            " WHERE run_id = $1 AND statement_id = $2",
            uuid.UUID(run_id), uuid.UUID(statement_id))
        if row is None:
            return None
        found = dict(row)
        found["differences"] = [dict(r) for r in await self._conn.fetch(
            "SELECT line, kind, payment_id, expected_amount_fen, stated_amount_fen,"
            " expected_account, stated_account, held_status, bank_reference"
            " FROM bank_statement_differences WHERE statement_id = $1 ORDER BY seq",
            uuid.UUID(statement_id))]
        return found
