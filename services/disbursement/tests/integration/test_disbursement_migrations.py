"""Disbursement's database upgrades with runs in flight and comes back down: payments keep
their results (as the `payments` view shows them), pending ones are cut into chunks
numbered after the chunks their run already used, chunks already done tally their
results, suspensions keep their reinstatements."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

import asyncpg
import pytest
from alembic import command

from siquan.disbursement.app import MIGRATIONS
from siquan.shared.database import alembic_config
from siquan.shared.testing.environment import Environment

RESULTS = "SELECT payment_id, status, bank_reference, chunk FROM payments ORDER BY payment_id"


async def migrate_to(dsn: str, revision: str, *, down: bool = False) -> None:
    move = command.downgrade if down else command.upgrade
    await asyncio.to_thread(move, alembic_config(dsn, MIGRATIONS), revision)


async def runs_in_flight(conn: asyncpg.Connection) -> None:
    """A run as revision 0002 kept it: three chunks recorded, one payment pending."""
    run = uuid.uuid4()
    await conn.execute(
        "INSERT INTO payment_runs (run_id, program_code, period, division_code,"
        " policy_version, payee_count, total_fen, skipped, started_by, started_at, status,"
        " allocation_id, chunks_recorded) VALUES ($1, 'special_assistance', '2026-05',"
        " '420117', 'wuhan-2012', 5, 5000, '[]', 'x', now(), 'allocated', 'a', 3)", run)
    await conn.execute("INSERT INTO certifications VALUES ('c1', 'k0', 'special_assistance',"
                       " 'death', 'wuhan-2012', '420117', '2026-01-01', now())")
    for i, (status, reference, chunk) in enumerate([
            ("pending", None, None), ("settled", "R1", 0), ("failed", None, 1),
            ("cancelled", None, None), ("settled", "R2", 2)]):
        await conn.execute(
            "INSERT INTO payments (payment_id, run_id, certification_id, person_key,"
            " program_code, period, item, amount_fen, bank_code, account_number, status,"
            " bank_reference, chunk, finished_at) VALUES ($1, $2, 'c1', $3,"
            " 'special_assistance', '2026-05', 'benefit', 1000, '102', '622202000000000001',"
            " $4, $5, $6, CASE WHEN $4 = 'pending' THEN NULL ELSE now() END)",
            uuid.UUID(int=(1 << 120) + i), run, f"k{i}", status, reference, chunk)
    await conn.execute("UPDATE payments SET status = 'returned', returned_on = '2026-06-01',"
                       " return_reason = 'account closed' WHERE bank_reference = 'R2'")
    await conn.execute("INSERT INTO certification_suspensions"
                       " VALUES ('c1', '2026-02-01', '2026-03-01')")


async def test_a_database_with_runs_in_flight_upgrades_and_comes_back_down(
        env: Environment) -> None:
    dsn = env.pg_dsn("disbursement")
    await migrate_to(dsn, "0002")
    conn = await asyncpg.connect(dsn)
    try:
        await runs_in_flight(conn)
        before = await conn.fetch(RESULTS)
        await migrate_to(dsn, "head")
        assert await conn.fetch(RESULTS) == before
        assert [r["live"] for r in await conn.fetch(
            "SELECT live FROM payment_orders ORDER BY payment_id")] == [
            True, True, False, False, False]
        assert [tuple(r) for r in await conn.fetch(
            "SELECT chunk, payee_count, done_at IS NULL FROM payment_chunks ORDER BY chunk")
        ] == [(-1, 1, False), (0, 1, False), (1, 1, False), (2, 1, False), (3, 1, True)]
        # the chunks done before tallies were kept take theirs from their results
        assert [tuple(r) for r in await conn.fetch(
            "SELECT settled_count, settled_fen, failed_count, cancelled_count,"
            " returned_count, returned_fen FROM payment_chunks ORDER BY chunk")] == [
            (0, 0, 0, 1, 0, 0), (1, 1000, 0, 0, 0, 0), (0, 0, 1, 0, 0, 0),
            (1, 1000, 0, 0, 1, 1000), (0, 0, 0, 0, 0, 0)]
        assert await conn.fetchval("SELECT reinstated_from FROM certification_reinstatements"
                                   " WHERE certification_id = 'c1'") is not None
        await migrate_to(dsn, "0002", down=True)
        assert await conn.fetch(RESULTS) == before
        await migrate_to(dsn, "head")
        assert await conn.fetch(RESULTS) == before
    finally:
        await conn.close()



async def test_orders_the_bank_has_not_answered_take_the_name_registered_last(
        env: Environment) -> None:
    """Revision 0023 writes the holder's name into the orders still to be paid, as the payer
    read it before (the name registered last with the order's account); an order the bank
    answered keeps none, and from then on no order's name changes."""
    dsn = env.pg_dsn("disbursement")
    await migrate_to(dsn, "0022")
    conn = await asyncpg.connect(dsn)
    try:
        run = uuid.uuid4()
        await conn.execute(
            "INSERT INTO payment_runs (run_id, program_code, period, division_code,"
            " policy_version, payee_count, total_fen, skipped, started_by, started_at,"
            " status, allocation_id) VALUES ($1, 'special_assistance', '2026-05', '420117',"
            " 'wuhan-2012', 2, 2000, '[]', 'x', now(), 'allocated', 'a')", run)
        for n, name, at in [(1, "李建国", date(2026, 1, 1)), (1, "李建华", date(2026, 4, 1)),
                            (2, "王芳", date(2026, 1, 1))]:
            await conn.execute(
                "INSERT INTO payee_accounts (person_key, bank_code, account_number,"
                " masked_account, division_code, registered_by, registered_at,"
                " superseded_at, confirmed_at, account_name) VALUES ($1, '102', $2,"
                " '************0001', '420117', 'x', $3::date,"
                " CASE WHEN $4 = '李建国' THEN '2026-04-01'::timestamptz END, $3::date, $4)",
                f"k{n}", f"62220200000000000{n}", at, name)
        pending, answered = uuid.UUID(int=1), uuid.UUID(int=2)
        for payment_id, n in ((pending, 1), (answered, 2)):
            await conn.execute(
                "INSERT INTO payment_orders (payment_id, run_id, certification_id,"
                " person_key, program_code, period, item, amount_fen, bank_code,"
                " account_number) VALUES ($1, $2, 'c1', $3, 'special_assistance',"
                " '2026-05', 'benefit', 1000, '102', $4)",
                payment_id, run, f"k{n}", f"62220200000000000{n}")
        await conn.execute("INSERT INTO payment_results (payment_id, status, bank_reference,"
                           " chunk, finished_at) VALUES ($1, 'settled', 'R1', 0, now())",
                           answered)

        await migrate_to(dsn, "head")

        assert [tuple(r) for r in await conn.fetch(
            "SELECT payment_id, account_name FROM payment_orders ORDER BY payment_id")] == [
            (pending, "李建华"), (answered, None)]
        with pytest.raises(asyncpg.RaiseError):
            await conn.execute("UPDATE payment_orders SET account_name = 'x'"
                               " WHERE payment_id = $1", pending)
        with pytest.raises(asyncpg.RaiseError):  # nor with a void
            await conn.execute("UPDATE payment_orders SET account_name = 'x', live = false"
                               " WHERE payment_id = $1", pending)
        await migrate_to(dsn, "0022", down=True)
        await migrate_to(dsn, "head")
    finally:
        await conn.close()
