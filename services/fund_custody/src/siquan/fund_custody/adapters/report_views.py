"""What fund custody's monthly report reads: the special accounts of a program's year
within a division's code prefix, and each account's appropriations by booking time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from siquan.shared.database import Connection


class ReportViews:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def accounts_within(self, program_code: str, fiscal_year: int, prefix: str
                              ) -> list[tuple[str, str]]:
        """(account id, division) of each special account under the prefix, by division."""
        rows = await self._conn.fetch(
            "SELECT id::text AS id, division_code FROM special_accounts"
            " WHERE program_code = $1 AND fiscal_year = $2 AND division_code LIKE $3 || '%'"
            " ORDER BY division_code", program_code, fiscal_year, prefix)
        return [(r["id"], r["division_code"]) for r in rows]

    async def appropriated(self, account_id: str, start: datetime, end: datetime
                           ) -> dict[str, dict[str, int]]:
        """Per fiscal level: booked in [start, end) (`month`) and before end (`to_date`)."""
        rows: list[Any] = await self._conn.fetch(
            "SELECT fiscal_level,"
            " coalesce(sum(amount_fen) FILTER (WHERE recorded_at >= $2), 0) AS month,"
            " coalesce(sum(amount_fen), 0) AS to_date"
            " FROM appropriations WHERE special_account_id = $1::uuid AND recorded_at < $3"
            " GROUP BY fiscal_level", account_id, start, end)
        return {r["fiscal_level"]: {"month": int(r["month"]), "to_date": int(r["to_date"])}
                for r in rows}
