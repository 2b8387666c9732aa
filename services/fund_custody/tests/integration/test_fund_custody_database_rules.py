"""The database keeps the books on its own, even if the domain were bypassed: statements
written by hand as fund custody's own role cannot overdraw, unbalance or rewrite them."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from siquan.fund_custody.domain.special_account import AccountKey


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


async def post(conn: asyncpg.Connection, account_id: uuid.UUID,
               *entries: tuple[str, int]) -> None:
    """One ledger transaction (a savepoint when the caller already opened one)."""
    transaction_id = uuid.uuid4()
    async with conn.transaction():
        await conn.execute("INSERT INTO ledger_transactions (id, special_account_id, kind,"
                           " reference) VALUES ($1, $2, 'reservation', $3)", transaction_id,
                           account_id, str(transaction_id))
        await conn.executemany(
            "INSERT INTO ledger_entries (transaction_id, special_account_id, account,"
            " amount_fen) VALUES ($1, $2, $3, $4)",
            [(transaction_id, account_id, account, amount) for account, amount in entries])


async def balances(conn: asyncpg.Connection, account_id: uuid.UUID) -> dict[str, int]:
    rows = await conn.fetch("SELECT account, balance_fen FROM ledger_balances"
                            " WHERE special_account_id = $1", account_id)
    return {r["account"]: r["balance_fen"] for r in rows}


async def test_the_database_refuses_an_entry_that_overdraws_available(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id = await special_account_id(conn, key)
    await post(conn, account_id, ("appropriation:central", -1_000), ("available", 1_000))
    with pytest.raises(asyncpg.CheckViolationError):
        async with conn.transaction():
            await post(conn, account_id, ("available", -1_001), ("reserved:run-x", 1_001))
    assert await balances(conn, account_id) == {"appropriation:central": -1_000,
                                                "available": 1_000}


async def test_the_database_refuses_an_unbalanced_transaction_at_commit(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id = await special_account_id(conn, key)
    with pytest.raises(asyncpg.CheckViolationError, match="unbalanced"):
        async with conn.transaction():
            await post(conn, account_id, ("appropriation:central", -1_000),
                       ("available", 1_500))
    assert await balances(conn, account_id) == {}


async def test_the_database_refuses_a_single_entry_transaction(
        conn: asyncpg.Connection, key: AccountKey) -> None:
    account_id = await special_account_id(conn, key)
    with pytest.raises(asyncpg.CheckViolationError):
        async with conn.transaction():
            await post(conn, account_id, ("appropriation:central", -1_000))
    assert await balances(conn, account_id) == {}


async def test_ledger_entries_cannot_be_rewritten(conn: asyncpg.Connection,
                                                  key: AccountKey) -> None:
    account_id = await special_account_id(conn, key)
    await post(conn, account_id, ("appropriation:central", -1_000), ("available", 1_000))
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute("UPDATE ledger_entries SET amount_fen = amount_fen * 2"
                           " WHERE special_account_id = $1", account_id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await conn.execute("DELETE FROM ledger_entries WHERE special_account_id = $1",
                           account_id)
    assert await balances(conn, account_id) == {"appropriation:central": -1_000,
                                                "available": 1_000}
