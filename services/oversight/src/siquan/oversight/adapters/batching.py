"""Writes a batch makes for every event, held until the batch commits and then run once
per statement with `executemany` (one round trip for all the batch's rows).

Statements run in the order each was first used, so a run's row is written before the
allocations and chunks that refer to it. Each statement keeps the meaning it would have
alone (an upsert per row), so nothing changes but the number of round trips.
"""

from __future__ import annotations

from typing import Any

from siquan.shared.database import Connection


class Writes:
    def __init__(self) -> None:
        self._rows: dict[str, list[tuple[Any, ...]]] = {}

    def add(self, sql: str, *args: Any) -> None:
        self._rows.setdefault(sql, []).append(args)

    def __bool__(self) -> bool:
        return bool(self._rows)

    async def flush(self, conn: Connection) -> None:
        while self._rows:
            rows, self._rows = self._rows, {}
            for sql, args in rows.items():
                await conn.executemany(sql, args)
