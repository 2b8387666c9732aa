"""Fund custody's money movements for payment runs (reservations and settlements), kept
until each is matched with a run disbursement announced, or found to have none."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from siquan.oversight.adapters.batching import Writes
from siquan.oversight.reconciliation.domain.conduct import Movement
from siquan.shared.database import Connection

# Already matched when disbursement's run is known (the batch's runs are written first).
_MOVEMENT = (
    "INSERT INTO fund_movements (message_id, run_id, kind, amount_fen, program_code,"
    " period, division_code, checked) VALUES ($1, $2, $3, $4, $5, $6, $7,"
    " EXISTS (SELECT 1 FROM watched_runs WHERE run_id = $2))"
    " ON CONFLICT (message_id) DO NOTHING")


def _movement(row: asyncpg.Record) -> Movement:
    return Movement(str(row["message_id"]), row["run_id"], row["kind"],
                    int(row["amount_fen"]), row["program_code"], row["period"],
                    row["division_code"])


class PgFunds:
    def __init__(self, conn: Connection, writes: Writes) -> None:
        self._conn, self._writes = conn, writes

    def add_movement(self, movement: Movement) -> None:
        self._writes.add(_MOVEMENT, movement.message_id, movement.run_id, movement.kind,
                         movement.amount_fen, movement.program_code, movement.period,
                         movement.division_code)

    async def reservations(self, run_ids: Iterable[str]) -> dict[str, tuple[int, str]]:
        rows = await self._conn.fetch(
            "SELECT DISTINCT ON (run_id) run_id, amount_fen, message_id FROM fund_movements"
            " WHERE run_id = ANY($1::text[]) AND kind = 'reservation'"
            " ORDER BY run_id, seen_at, message_id", list(set(run_ids)))
        return {row["run_id"]: (int(row["amount_fen"]), str(row["message_id"]))
                for row in rows}

    async def unmatched(self, grace_seconds: float, limit: int = 1000
                        ) -> tuple[list[str], list[Movement]]:
        """Rows are locked so two sweeps never judge the same movement."""
        rows = await self._conn.fetch(
            "SELECT m.message_id, m.run_id, m.kind, m.amount_fen, m.program_code, m.period,"
            " m.division_code, EXISTS (SELECT 1 FROM watched_runs r"
            " WHERE r.run_id = m.run_id) AS matched FROM fund_movements m"
            " WHERE NOT m.checked AND m.seen_at < now() - make_interval(secs => $1)"
            " ORDER BY m.seen_at LIMIT $2 FOR UPDATE SKIP LOCKED", grace_seconds, limit)
        matched = [str(r["message_id"]) for r in rows if r["matched"]]
        return matched, [_movement(r) for r in rows if not r["matched"]]

    async def pending_count(self) -> int:
        return int(await self._conn.fetchval(
            "SELECT count(*) FROM fund_movements WHERE NOT checked"))

    async def mark_checked(self, message_ids: list[str]) -> None:
        await self._conn.execute("UPDATE fund_movements SET checked = true"
                                 " WHERE message_id = ANY($1::uuid[])", message_ids)
