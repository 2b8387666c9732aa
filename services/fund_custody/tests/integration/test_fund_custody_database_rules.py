"""The database keeps the books on its own, even if the domain were bypassed: statements
written by hand as fund custody's own role cannot overdraw, unbalance or rewrite them, nor
open a way for money to leave the account other than a settled payment of an allocated
run (the closed loop)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from siquan.fund_custody.domain.special_account import AccountKey

Entries = tuple[tuple[str, int], ...]


@pytest.fixture
async def conn(fc) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(fc.env.pg_dsn("fund_custody"))
    try:
        yield connection
    finally:
        await connection.close()


async def special_account_id(conn: asyncpg.Connection, key: AccountKey) -> uuid.UUID:
    account_id = uuid.uuid4()
    await conn.execute("INSERT INTO special_accounts (id, program_code, fiscal_year,"
                       " division_code) VALUES ($1, $2, $3, $4)", account_id,
                       key.program_code, key.fiscal_year, key.division_code)
    return account_id


async def post(conn: asyncpg.Connection, account_id: uuid.UUID, kind: str, *entries:
               tuple[str, int], run_id: str | None = None, chunk: int | None = None) -> None:
    """One ledger transaction (a savepoint when the caller already opened one)."""
    transaction_id = uuid.uuid4()
    async with conn.transaction():
        await conn.execute("INSERT INTO ledger_transactions (id, special_account_id, kind,"
                           " reference, run_id, chunk) VALUES ($1, $2, $3, $4, $5, $6)",
                           transaction_id, account_id, kind, str(transaction_id), run_id,
                           chunk)
        await conn.executemany(
            "INSERT INTO ledger_entries (transaction_id, special_account_id, account,"
            " amount_fen) VALUES ($1, $2, $3, $4)",
            [(transaction_id, account_id, account, amount) for account, amount in entries])


async def funded_run(conn: asyncpg.Connection, key: AccountKey) -> tuple[uuid.UUID, str]:
    """An account holding 10,000 fen, 6,000 of them reserved for an approved run."""
    account_id = await special_account_id(conn, key)
    await post(conn, account_id, "appropriation", ("appropriation:central", -10_000),
               ("available", 10_000))
    run_id = str(uuid.uuid4())
    await conn.execute("INSERT INTO allocations (id, run_id, special_account_id, period,"
                       " payee_count, total_fen, status, requested_at) VALUES ($1, $2, $3,"
                       " $4, 3, 6000, 'approved', $5)", uuid.uuid4(), run_id, account_id,
                       f"{key.fiscal_year}-11", datetime.now(UTC))
    await post(conn, account_id, "reservation", ("available", -6_000),
               (f"reserved:{run_id}", 6_000), run_id=run_id)
    return account_id, run_id


async def balances(conn: asyncpg.Connection, account_id: uuid.UUID) -> dict[str, int]:
    rows = await conn.fetch("SELECT account, balance_fen FROM ledger_balances"
                            " WHERE special_account_id = $1", account_id)
    return {r["account"]: r["balance_fen"] for r in rows}


async def test_the_database_refuses_an_entry_that_overdraws_available(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id, run_id = await funded_run(conn, key)
    before = await balances(conn, account_id)
    with pytest.raises(asyncpg.CheckViolationError, match="balance_never_negative"):
        async with conn.transaction():
            await post(conn, account_id, "reservation", ("available", -4_001),
                       (f"reserved:{run_id}", 4_001), run_id=run_id)
    assert await balances(conn, account_id) == before


async def test_the_database_refuses_an_unbalanced_transaction_at_commit(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id = await special_account_id(conn, key)
    with pytest.raises(asyncpg.CheckViolationError, match="unbalanced"):
        async with conn.transaction():
            await post(conn, account_id, "appropriation", ("appropriation:central", -1_000),
                       ("available", 1_500))
    assert await balances(conn, account_id) == {}


async def test_the_database_refuses_a_single_entry_transaction(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id = await special_account_id(conn, key)
    with pytest.raises(asyncpg.CheckViolationError):
        async with conn.transaction():
            await post(conn, account_id, "appropriation", ("appropriation:central", -1_000))
    assert await balances(conn, account_id) == {}


async def test_ledger_entries_cannot_be_rewritten(conn: asyncpg.Connection,
                                                  key: AccountKey) -> None:
    account_id = await special_account_id(conn, key)
    await post(conn, account_id, "appropriation", ("appropriation:central", -1_000),
               ("available", 1_000))
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute("UPDATE ledger_entries SET amount_fen = amount_fen * 2"
                           " WHERE special_account_id = $1", account_id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute("DELETE FROM ledger_entries WHERE special_account_id = $1",
                           account_id)
    assert await balances(conn, account_id) == {"appropriation:central": -1_000,
                                                "available": 1_000}


async def test_money_cannot_be_paid_out_without_a_settled_chunk_of_the_run(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id, run_id = await funded_run(conn, key)
    before = await balances(conn, account_id)
    with pytest.raises(asyncpg.CheckViolationError, match="closed loop"):
        await post(conn, account_id, "payment", (f"reserved:{run_id}", -2_000),
                   ("paid_out", 2_000), run_id=run_id, chunk=0)
    assert await balances(conn, account_id) == before


async def test_money_cannot_reach_paid_out_by_any_movement_but_a_payment(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id, run_id = await funded_run(conn, key)
    await conn.execute("INSERT INTO settled_chunks (run_id, chunk, payment_count, amount_fen)"
                       " VALUES ($1, 0, 1, 2000)", run_id)
    before = await balances(conn, account_id)
    for kind, source in (("release", f"reserved:{run_id}"), ("reservation", "available"),
                         ("appropriation", "appropriation:county")):
        with pytest.raises(asyncpg.CheckViolationError, match="closed loop"):
            await post(conn, account_id, kind, (source, -2_000), ("paid_out", 2_000),
                       run_id=None if kind == "appropriation" else run_id)
    assert await balances(conn, account_id) == before


async def test_a_payment_of_a_settled_chunk_is_accepted_once(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id, run_id = await funded_run(conn, key)
    await conn.execute("INSERT INTO settled_chunks (run_id, chunk, payment_count, amount_fen)"
                       " VALUES ($1, 0, 1, 2000)", run_id)
    await post(conn, account_id, "payment", (f"reserved:{run_id}", -2_000),
               ("paid_out", 2_000), run_id=run_id, chunk=0)
    with pytest.raises(asyncpg.UniqueViolationError):
        await post(conn, account_id, "payment", (f"reserved:{run_id}", -2_000),
                   ("paid_out", 2_000), run_id=run_id, chunk=0)
    assert (await balances(conn, account_id))["paid_out"] == 2_000


async def test_a_run_cannot_pay_out_of_another_accounts_allocation(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    _, run_id = await funded_run(conn, key)
    other = await special_account_id(conn, AccountKey(key.program_code, key.fiscal_year,
                                                      "420102"))
    await post(conn, other, "appropriation", ("appropriation:central", -5_000),
               ("available", 5_000))
    with pytest.raises(asyncpg.CheckViolationError, match="no approved allocation"):
        await post(conn, other, "reservation", ("available", -5_000),
                   (f"reserved:{run_id}", 5_000), run_id=run_id)
    assert await balances(conn, other) == {"appropriation:central": -5_000, "available": 5_000}


async def test_money_cannot_come_back_from_the_bank_without_a_returned_chunk(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id, run_id = await funded_run(conn, key)
    before = await balances(conn, account_id)
    with pytest.raises(asyncpg.CheckViolationError, match="closed loop"):
        await post(conn, account_id, "return", ("returned", -1_000), ("available", 1_000),
                   run_id=run_id, chunk=0)
    assert await balances(conn, account_id) == before


async def test_a_balance_cannot_be_carried_forward_without_a_year_end_statement(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id, _ = await funded_run(conn, key)
    before = await balances(conn, account_id)
    with pytest.raises(asyncpg.CheckViolationError, match="closed loop"):
        await post(conn, account_id, "carry_forward", ("available", -4_000),
                   ("carried_forward", 4_000))
    assert await balances(conn, account_id) == before


async def test_a_closed_account_takes_no_more_postings(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id = await special_account_id(conn, key)
    await conn.execute("UPDATE special_accounts SET closed_at = now() WHERE id = $1",
                       account_id)
    with pytest.raises(asyncpg.CheckViolationError, match="closed"):
        await post(conn, account_id, "appropriation", ("appropriation:central", -1_000),
                   ("available", 1_000))
    assert await balances(conn, account_id) == {}


async def test_a_year_end_statement_that_does_not_balance_is_refused(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id = await special_account_id(conn, key)
    with pytest.raises(asyncpg.CheckViolationError, match="balances_to_the_fen"):
        await conn.execute(
            "INSERT INTO year_end_statements (id, special_account_id, opening_fen,"
            " central_fen, provincial_fen, municipal_fen, county_fen, paid_fen, returned_fen,"
            " closing_fen, runs_settled, reserved_fen, released_fen, produced_by,"
            " produced_at) VALUES ($1, $2, 0, 10000, 0, 0, 0, 6000, 0, 4001, 1, 6000, 0,"
            " 'treasury-420117-01', now())", uuid.uuid4(), account_id)
    assert await conn.fetchval("SELECT count(*) FROM year_end_statements"
                               " WHERE special_account_id = $1", account_id) == 0
