"""The last day of the bank's returns already asked for (one row)."""

from __future__ import annotations

from datetime import date

from siquan.disbursement.adapters.db import Connection


class PgReturnCursor:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def covered(self) -> date | None:
        through: date | None = await self._conn.fetchval(
            "SELECT through FROM bank_return_cursor")
        return through

    async def advance(self, through: date) -> None:
        await self._conn.execute(
            "INSERT INTO bank_return_cursor (through) VALUES ($1) ON CONFLICT (only_row)"
            " DO UPDATE SET through = GREATEST(bank_return_cursor.through, EXCLUDED.through)",
            through)
