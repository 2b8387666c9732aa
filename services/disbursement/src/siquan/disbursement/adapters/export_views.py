"""What the run export reads: a run's payments, a page at a time, in a stable order. The
account number is read to be masked; nothing else leaves with it."""

from __future__ import annotations

import uuid
from typing import Any

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
