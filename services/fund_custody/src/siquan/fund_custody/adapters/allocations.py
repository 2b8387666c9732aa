"""Allocations and the result chunks of their runs (settled, failed, returned), in fund
custody's database. Returned payments are kept by payment id only (not personal), so one
payment cannot come back twice."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

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


@dataclass(frozen=True)
class Chunk:
    payment_count: int
    amount_fen: int


def _allocation(row: asyncpg.Record) -> Allocation:
    return Allocation(
        id=str(row["id"]), run_id=row["run_id"],
        special_account_id=str(row["special_account_id"]),
        key=AccountKey(row["program_code"], row["fiscal_year"], row["division_code"]),
        period=row["period"], payee_count=row["payee_count"], total_fen=row["total_fen"],
        requested_at=row["requested_at"], status=row["status"], paid_fen=row["paid_fen"],
        released_fen=row["released_fen"], returned_fen=row["returned_fen"],
        approved_at=row["approved_at"],
        settled_at=row["settled_at"])


async def get(conn: Connection, run_id: str, *,
              for_update: bool = False) -> Allocation | None:
    row = await conn.fetchrow(_SELECT + " WHERE a.run_id = $1"
                              + (" FOR UPDATE OF a" if for_update else ""), run_id)
    return None if row is None else _allocation(row)


async def waiting(conn: Connection, special_account_id: str) -> list[Allocation]:
    """The account's waiting allocations, oldest request first, locked."""
    rows = await conn.fetch(_SELECT + " WHERE a.special_account_id = $1 AND a.status ="
                            " 'waiting' ORDER BY a.requested_at, a.id FOR UPDATE OF a",
                            special_account_id)
    return [_allocation(r) for r in rows]


async def add(conn: Connection, allocation: Allocation) -> None:
    await conn.execute(
        "INSERT INTO allocations (id, run_id, special_account_id, period, payee_count,"
        " total_fen, status, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        allocation.id, allocation.run_id, allocation.special_account_id, allocation.period,
        allocation.payee_count, allocation.total_fen, allocation.status,
        allocation.requested_at)


async def save(conn: Connection, allocation: Allocation) -> None:
    await conn.execute(
        "UPDATE allocations SET status = $2, paid_fen = $3, released_fen = $4,"
        " approved_at = $5, settled_at = $6, returned_fen = $7 WHERE run_id = $1",
        allocation.run_id, allocation.status, allocation.paid_fen, allocation.released_fen,
        allocation.approved_at, allocation.settled_at, allocation.returned_fen)


async def settled_chunk(conn: Connection, run_id: str, chunk: int) -> Chunk | None:
    row = await conn.fetchrow("SELECT payment_count, amount_fen FROM settled_chunks"
                              " WHERE run_id = $1 AND chunk = $2", run_id, chunk)
    return None if row is None else Chunk(row["payment_count"], row["amount_fen"])


async def add_settled_chunk(conn: Connection, run_id: str, chunk: int,
                            payment: Chunk) -> None:
    await conn.execute("INSERT INTO settled_chunks (run_id, chunk, payment_count, amount_fen)"
                       " VALUES ($1, $2, $3, $4)", run_id, chunk, payment.payment_count,
                       payment.amount_fen)


async def add_failed_chunk(conn: Connection, run_id: str, chunk: int,
                           failure: Chunk) -> bool:
    """Count a chunk of failed payments once; False if it was already counted."""
    inserted = await conn.fetchval(
        "INSERT INTO failed_chunks (run_id, chunk, payment_count, amount_fen)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true",
        run_id, chunk, failure.payment_count, failure.amount_fen)
    return bool(inserted)


async def returned_chunk(conn: Connection, run_id: str, chunk: int) -> Chunk | None:
    row = await conn.fetchrow("SELECT payment_count, amount_fen FROM returned_chunks"
                              " WHERE run_id = $1 AND chunk = $2", run_id, chunk)
    return None if row is None else Chunk(row["payment_count"], row["amount_fen"])


async def add_returned_chunk(conn: Connection, run_id: str, chunk: int, returned: Chunk,
                             booked_to: str, payments: list[tuple[str, int]]) -> None:
    """Record a returned chunk and its payments (id, amount); a payment already returned
    in another chunk violates the primary key."""
    await conn.execute("INSERT INTO returned_chunks (run_id, chunk, payment_count, amount_fen,"
                       " booked_to) VALUES ($1, $2, $3, $4, $5)", run_id, chunk,
                       returned.payment_count, returned.amount_fen, booked_to)
    await conn.executemany("INSERT INTO returned_payments (payment_id, run_id, chunk,"
                           " amount_fen) VALUES ($1, $2, $3, $4)",
                           [(p, run_id, chunk, amount) for p, amount in payments])


async def already_returned(conn: Connection, payment_ids: list[str]) -> list[str]:
    rows = await conn.fetch("SELECT payment_id FROM returned_payments"
                            " WHERE payment_id = any($1::text[])", payment_ids)
    return [r["payment_id"] for r in rows]


async def unsettled_runs(conn: Connection, special_account_id: str) -> list[str]:
    rows = await conn.fetch("SELECT run_id FROM allocations WHERE special_account_id = $1"
                            " AND status IN ('waiting', 'approved') ORDER BY requested_at",
                            special_account_id)
    return [r["run_id"] for r in rows]


async def run_records(conn: Connection, special_account_id: str) -> RunRecords:
    """The account's settled runs and the returns booked into it, for its statement."""
    row = await conn.fetchrow(
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


async def chunk_totals(conn: Connection, run_id: str) -> dict[str, int]:
    """Settled and failed payment counts and amounts received for a run."""
    row = await conn.fetchrow(
        "SELECT (SELECT count(*) FROM settled_chunks WHERE run_id = $1) AS settled_chunks,"
        " (SELECT coalesce(sum(payment_count), 0) FROM settled_chunks WHERE run_id = $1)"
        "   AS settled_count,"
        " (SELECT coalesce(sum(amount_fen), 0) FROM settled_chunks WHERE run_id = $1)"
        "   AS settled_fen,"
        " (SELECT count(*) FROM failed_chunks WHERE run_id = $1) AS failed_chunks,"
        " (SELECT coalesce(sum(payment_count), 0) FROM failed_chunks WHERE run_id = $1)"
        "   AS failed_count,"
        " (SELECT coalesce(sum(amount_fen), 0) FROM failed_chunks WHERE run_id = $1)"
        "   AS failed_fen,"
        " (SELECT count(*) FROM returned_chunks WHERE run_id = $1) AS returned_chunks,"
        " (SELECT coalesce(sum(payment_count), 0) FROM returned_chunks WHERE run_id = $1)"
        "   AS returned_count", run_id)
    assert row is not None  # an aggregate query always yields one row
    return {k: int(v) for k, v in row.items()}
