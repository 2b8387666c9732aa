"""The report projections in oversight's database: certifications by program and
division, payment runs with their status, allocations, and settled or failed payment
chunks (one row per run, outcome and chunk, so a chunk is counted once)."""

from __future__ import annotations

from siquan.oversight.domain.reconciliation import ProgramReport, RunFigures, advance
from siquan.shared.database import Connection


async def grant_certification(conn: Connection, certification_id: str,
                              program_code: str, division_code: str) -> None:
    # A revocation seen first wins: the grant then changes nothing.
    await conn.execute(
        "INSERT INTO certifications (certification_id, program_code, division_code, status)"
        " VALUES ($1, $2, $3, 'active') ON CONFLICT (certification_id) DO NOTHING",
        certification_id, program_code, division_code)


async def revoke_certification(conn: Connection, certification_id: str,
                               program_code: str, division_code: str) -> None:
    await conn.execute(
        "INSERT INTO certifications (certification_id, program_code, division_code, status)"
        " VALUES ($1, $2, $3, 'revoked')"
        " ON CONFLICT (certification_id) DO UPDATE SET status = 'revoked'",
        certification_id, program_code, division_code)


async def touch_run(conn: Connection, *, run_id: str, program_code: str, period: str,
                    division_code: str, status: str) -> None:
    """Create the run if this is the first event about it, and move its status forward."""
    current = await conn.fetchval(
        "SELECT status FROM payment_runs WHERE run_id = $1 FOR UPDATE", run_id)
    await conn.execute(
        "INSERT INTO payment_runs (run_id, program_code, period, division_code, status)"
        " VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (run_id) DO UPDATE SET status = EXCLUDED.status",
        run_id, program_code, period, division_code, advance(current, status))


async def add_allocation(conn: Connection, allocation_id: str, run_id: str,
                         amount_fen: int) -> None:
    await conn.execute(
        "INSERT INTO allocations (allocation_id, run_id, amount_fen) VALUES ($1, $2, $3)"
        " ON CONFLICT (allocation_id) DO NOTHING", allocation_id, run_id, amount_fen)


async def add_chunk(conn: Connection, *, run_id: str, outcome: str, chunk: int,
                    count: int, amount_fen: int) -> None:
    await conn.execute(
        "INSERT INTO payment_chunks (run_id, outcome, chunk, count, amount_fen)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        run_id, outcome, chunk, count, amount_fen)


async def settle_run(conn: Connection, run_id: str, paid_fen: int) -> None:
    await conn.execute("UPDATE payment_runs SET settled_fen = $2 WHERE run_id = $1",
                       run_id, paid_fen)


_RUNS = """
SELECT r.run_id, r.division_code, r.status,
       coalesce((SELECT sum(amount_fen) FROM allocations a WHERE a.run_id = r.run_id), 0)
           ::bigint AS allocated_fen,
       coalesce((SELECT sum(amount_fen) FROM payment_chunks c
                 WHERE c.run_id = r.run_id AND outcome = 'settled'), 0)::bigint AS paid_fen,
       coalesce((SELECT sum(count) FROM payment_chunks c
                 WHERE c.run_id = r.run_id AND outcome = 'settled'), 0)::bigint AS paid_count,
       coalesce((SELECT sum(amount_fen) FROM payment_chunks c
                 WHERE c.run_id = r.run_id AND outcome = 'failed'), 0)::bigint AS failed_fen,
       coalesce((SELECT sum(count) FROM payment_chunks c
                 WHERE c.run_id = r.run_id AND outcome = 'failed'), 0)::bigint AS failed_count,
       coalesce(r.settled_fen, 0) AS settled_fen
FROM payment_runs r
WHERE r.program_code = $1 AND r.period = $2 AND r.division_code LIKE $3 || '%'
ORDER BY r.run_id
"""


async def program_report(conn: Connection, program_code: str, period: str,
                         division_code: str | None, prefix: str) -> ProgramReport:
    certified = await conn.fetchval(
        "SELECT count(*) FROM certifications WHERE program_code = $1 AND status = 'active'"
        " AND division_code LIKE $2 || '%'", program_code, prefix)
    rows = await conn.fetch(_RUNS, program_code, period, prefix)

    def total(column: str) -> int:
        return sum(int(row[column]) for row in rows)

    return ProgramReport(
        program_code=program_code, period=period, division_code=division_code,
        certified_count=int(certified), allocated_fen=total("allocated_fen"),
        paid_fen=total("paid_fen"), paid_count=total("paid_count"),
        failed_fen=total("failed_fen"), failed_count=total("failed_count"),
        settled_fen=total("settled_fen"),
        runs=[RunFigures(row["run_id"], row["division_code"], row["status"],
                         int(row["allocated_fen"]), int(row["paid_fen"]),
                         int(row["settled_fen"])) for row in rows])
