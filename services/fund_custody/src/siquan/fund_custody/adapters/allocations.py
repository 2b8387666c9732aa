"""Allocations and the result chunks of their runs (settled, failed, returned), in fund
custody's database. Returned payments are kept by payment id only (not personal), so one
payment cannot come back twice. A chunk is one row whatever its size: a 5,000-payment
settled chunk costs the same few statements as a one-payment chunk."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg

from siquan.fund_custody.application.ports import Chunk, Conflict, RunTotals
from siquan.fund_custody.domain.allocation import Allocation
from siquan.fund_custody.domain.special_account import AccountKey
from siquan.fund_custody.domain.statement import RunRecords
from siquan.shared.database import Connection

_SELECT = """
SELECT a.id, a.run_id, a.special_account_id, s.program_code, s.fiscal_year, s.division_code,
       a.period, a.payee_count, a.total_fen, a.requested_at, a.status, a.paid_fen,
       a.released_fen, a.returned_fen, a.approved_at, a.settled_at
FROM allocations a JOIN special_accounts s ON s.id = a.special_account_id
"""


def _allocation(row: asyncpg.Record) -> Allocation:
    return Allocation(
        id=str(row["id"]), run_id=row["run_id"],
        special_account_id=str(row["special_account_id"]),
        key=AccountKey(row["program_code"], row["fiscal_year"], row["division_code"]),
        period=row["period"], payee_count=row["payee_count"], total_fen=row["total_fen"],
        requested_at=row["requested_at"], status=row["status"], paid_fen=row["paid_fen"],
        released_fen=row["released_fen"], returned_fen=row["returned_fen"],
        approved_at=row["approved_at"], settled_at=row["settled_at"])


class PgAllocations:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def get(self, run_id: str, *, for_update: bool = False) -> Allocation | None:
        row = await self._conn.fetchrow(_SELECT + " WHERE a.run_id = $1"
                                        + (" FOR UPDATE OF a" if for_update else ""), run_id)
        return None if row is None else _allocation(row)

    async def waiting(self, special_account_id: str) -> list[Allocation]:
        rows = await self._conn.fetch(
            _SELECT + " WHERE a.special_account_id = $1 AND a.status = 'waiting'"
            " ORDER BY a.requested_at, a.id FOR UPDATE OF a", special_account_id)
        return [_allocation(r) for r in rows]

    async def of_account(self, special_account_id: str) -> list[Allocation]:
        rows = await self._conn.fetch(
            _SELECT + " WHERE a.special_account_id = $1 ORDER BY a.requested_at, a.id",
            special_account_id)
        return [_allocation(r) for r in rows]

    async def add(self, allocation: Allocation) -> None:
        a = allocation
        try:
            await self._conn.execute(
                "INSERT INTO allocations (id, run_id, special_account_id, period, payee_count,"
                " total_fen, status, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                a.id, a.run_id, a.special_account_id, a.period, a.payee_count, a.total_fen,
                a.status, a.requested_at)
        except asyncpg.UniqueViolationError as exc:  # the same run, asked of another account
            raise Conflict(f"run {a.run_id} was given an allocation meanwhile") from exc

    async def save(self, allocation: Allocation) -> None:
        a = allocation
        await self._conn.execute(
            "UPDATE allocations SET status = $2, paid_fen = $3, released_fen = $4,"
            " approved_at = $5, settled_at = $6, returned_fen = $7 WHERE run_id = $1",
            a.run_id, a.status, a.paid_fen, a.released_fen, a.approved_at, a.settled_at,
            a.returned_fen)

    async def unsettled_runs(self, special_account_id: str) -> list[str]:
        rows = await self._conn.fetch(
            "SELECT run_id FROM allocations WHERE special_account_id = $1"
            " AND status IN ('waiting', 'approved') ORDER BY requested_at", special_account_id)
        return [r["run_id"] for r in rows]

    async def run_records(self, special_account_id: str) -> RunRecords:
        row = await self._conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'settled') AS runs,"
            " coalesce(sum(total_fen) FILTER (WHERE status = 'settled'), 0) AS reserved,"
            " coalesce(sum(released_fen), 0) AS released,"
            " (SELECT coalesce(sum(c.amount_fen), 0) FROM settled_chunks c JOIN allocations a"
            "   USING (run_id) WHERE a.special_account_id = $1) AS settled,"
            " (SELECT coalesce(sum(amount_fen), 0) FROM returned_chunks WHERE booked_to = $1)"
            "   AS returned"
            " FROM allocations WHERE special_account_id = $1", special_account_id)
        assert row is not None  # an aggregate query always yields one row
        return RunRecords(runs_settled=int(row["runs"]), reserved_fen=int(row["reserved"]),
                          settled_chunks_fen=int(row["settled"]),
                          released_fen=int(row["released"]),
                          returns_booked_fen=int(row["returned"]))


class PgSettlements:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def settled(self, run_id: str, chunk: int) -> Chunk | None:
        return await self._chunk("settled_chunks", run_id, chunk)

    async def add_settled(self, run_id: str, chunk: int, settled: Chunk) -> None:
        await self._conn.execute(
            "INSERT INTO settled_chunks (run_id, chunk, payment_count, amount_fen,"
            " transferred_earlier_fen) VALUES ($1, $2, $3, $4, $5)", run_id, chunk,
            settled.payment_count, settled.amount_fen, settled.transferred_earlier_fen)

    async def add_periods(self, run_id: str, kind: str, chunk: int,
                          by_period: Mapping[str, int]) -> None:
        await self._conn.execute(
            "INSERT INTO run_period_amounts (run_id, kind, chunk, period, amount_fen)"
            " SELECT $1, $2, $3, p.period, p.amount_fen"
            " FROM unnest($4::text[], $5::bigint[]) AS p (period, amount_fen)",
            run_id, kind, chunk, list(by_period), list(by_period.values()))

    async def by_period(self, special_account_id: str) -> dict[str, dict[str, int]]:
        rows = await self._conn.fetch(
            "SELECT p.run_id, p.period, sum(CASE p.kind WHEN 'settled' THEN p.amount_fen"
            " ELSE -p.amount_fen END)::bigint AS net_fen"
            " FROM run_period_amounts p JOIN allocations a ON a.run_id = p.run_id"
            " WHERE a.special_account_id = $1::uuid GROUP BY p.run_id, p.period",
            special_account_id)
        found: dict[str, dict[str, int]] = {}
        for r in rows:
            found.setdefault(r["run_id"], {})[r["period"]] = int(r["net_fen"])
        return found

    async def add_failed(self, run_id: str, chunk: int, failed: Chunk) -> bool:
        inserted = await self._conn.fetchval(
            "INSERT INTO failed_chunks (run_id, chunk, payment_count, amount_fen)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
            run_id, chunk, failed.payment_count, failed.amount_fen)
        return bool(inserted)

    async def returned(self, run_id: str, chunk: int) -> Chunk | None:
        return await self._chunk("returned_chunks", run_id, chunk)

    async def add_returned(self, run_id: str, chunk: int, returned: Chunk, booked_to: str,
                           payments: Sequence[tuple[str, int]]) -> None:
        """The chunk and its payments in two statements (the payments by `unnest`)."""
        await self._conn.execute(
            "INSERT INTO returned_chunks (run_id, chunk, payment_count, amount_fen,"
            " booked_to) VALUES ($1, $2, $3, $4, $5)", run_id, chunk,
            returned.payment_count, returned.amount_fen, booked_to)
        try:
            await self._conn.execute(
                "INSERT INTO returned_payments (payment_id, run_id, chunk, amount_fen)"
                " SELECT p.id, $1, $2, p.amount FROM unnest($3::text[], $4::bigint[])"
                " AS p(id, amount)", run_id, chunk, [p for p, _ in payments],
                [amount for _, amount in payments])
        except asyncpg.UniqueViolationError as exc:  # returned in another run's chunk
            raise Conflict(f"a payment of returned chunk {chunk} of run {run_id} was "
                           "returned meanwhile") from exc

    async def already_returned(self, payment_ids: Sequence[str]) -> list[str]:
        rows = await self._conn.fetch("SELECT payment_id FROM returned_payments"
                                      " WHERE payment_id = any($1::text[])", list(payment_ids))
        return [r["payment_id"] for r in rows]

    async def totals(self, run_id: str) -> RunTotals:
        row = await self._conn.fetchrow(
            "SELECT s.n AS settled_chunks, s.count AS settled_count, s.fen AS settled_fen,"
            " s.earlier AS settled_earlier_fen,"
            " f.n AS failed_chunks, f.count AS failed_count, f.fen AS failed_fen,"
            " r.n AS returned_chunks, r.count AS returned_count FROM"
            " (SELECT count(*) AS n, coalesce(sum(payment_count), 0) AS count,"
            "  coalesce(sum(amount_fen), 0) AS fen,"
            "  coalesce(sum(transferred_earlier_fen), 0) AS earlier"
            "  FROM settled_chunks WHERE run_id = $1) s,"
            " (SELECT count(*) AS n, coalesce(sum(payment_count), 0) AS count,"
            "  coalesce(sum(amount_fen), 0) AS fen FROM failed_chunks WHERE run_id = $1) f,"
            " (SELECT count(*) AS n, coalesce(sum(payment_count), 0) AS count"
            "  FROM returned_chunks WHERE run_id = $1) r", run_id)
        assert row is not None  # aggregates always yield one row
        return RunTotals(**{k: int(v) for k, v in row.items()})

    async def _chunk(self, table: str, run_id: str, chunk: int) -> Chunk | None:
        earlier = "transferred_earlier_fen" if table == "settled_chunks" else "0"
        row = await self._conn.fetchrow(f"SELECT payment_count, amount_fen, {earlier} AS"
                                        f" earlier FROM {table} WHERE run_id = $1"
                                        " AND chunk = $2", run_id, chunk)
        return None if row is None else Chunk(row["payment_count"], row["amount_fen"],
                                              int(row["earlier"]))
