"""Loading special accounts with their balances, and storing what the ledger posted.

A special account is always loaded `FOR UPDATE` before money moves, so postings to one
account are serialised across HTTP calls and competing consumers; when two accounts of a
program are locked (a year and the next), the earlier year is locked first. Only entries
are written here: the database's trigger moves `ledger_balances` in the same transaction.

An account counts as closed once its year-end statement closed it, and so does one whose
later fiscal year is already closed (nothing may flow into a year already carried past).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from siquan.fund_custody.domain.ledger import Books, FiscalLevel, Transaction
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.database import Connection


async def lock_or_open(conn: Connection, key: AccountKey) -> SpecialAccount:
    """The special account for `key`, opened empty if it is new, locked until commit."""
    await conn.execute(
        "INSERT INTO special_accounts (id, program_code, fiscal_year, division_code)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        uuid.uuid4(), key.program_code, key.fiscal_year, key.division_code)
    row = await conn.fetchrow(_SELECT + " WHERE program_code = $1 AND fiscal_year = $2"
                              " AND division_code = $3 FOR UPDATE", key.program_code,
                              key.fiscal_year, key.division_code)
    assert row is not None  # inserted just above, or already there
    return await _account(conn, row)


async def lock_by_id(conn: Connection, account_id: str) -> SpecialAccount:
    row = await conn.fetchrow(_SELECT + " WHERE id = $1 FOR UPDATE", account_id)
    if row is None:
        raise LookupError(f"no special account {account_id}")
    return await _account(conn, row)


async def find(conn: Connection, key: AccountKey) -> SpecialAccount | None:
    """Read-only view of a special account, or None if it was never opened."""
    row = await conn.fetchrow(_SELECT + " WHERE program_code = $1 AND fiscal_year = $2"
                              " AND division_code = $3", key.program_code, key.fiscal_year,
                              key.division_code)
    return None if row is None else await _account(conn, row)


async def close(conn: Connection, account: SpecialAccount) -> None:
    """Mark an account closed by its year-end statement (after its last posting)."""
    await conn.execute("UPDATE special_accounts SET closed_at = now() WHERE id = $1",
                       account.id)


async def first_open_year_after(conn: Connection, key: AccountKey) -> int:
    """The earliest fiscal year after `key`'s whose account of the program is not closed."""
    year: int = await conn.fetchval(
        "SELECT coalesce(max(fiscal_year), $3) + 1 FROM special_accounts WHERE"
        " program_code = $1 AND division_code = $2 AND fiscal_year >= $3"
        " AND closed_at IS NOT NULL", key.program_code, key.division_code, key.fiscal_year)
    return year


_SELECT = """
SELECT id, program_code, fiscal_year, division_code, closed_at IS NOT NULL
       OR EXISTS (SELECT 1 FROM special_accounts later WHERE
                  later.program_code = special_accounts.program_code
                  AND later.division_code = special_accounts.division_code
                  AND later.fiscal_year > special_accounts.fiscal_year
                  AND later.closed_at IS NOT NULL) AS closed
FROM special_accounts"""


async def _account(conn: Connection, row: asyncpg.Record) -> SpecialAccount:
    key = AccountKey(row["program_code"], row["fiscal_year"], row["division_code"])
    account_id = str(row["id"])
    return SpecialAccount(account_id, key, await _books(conn, account_id), row["closed"])


async def _books(conn: Connection, account_id: str) -> Books:
    rows = await conn.fetch(
        "SELECT account, balance_fen FROM ledger_balances WHERE special_account_id = $1",
        account_id)
    return Books.of({r["account"]: r["balance_fen"] for r in rows})


async def record(conn: Connection, account: SpecialAccount,
                 transaction: Transaction) -> str:
    """Store a posted transaction and its entries; returns the transaction id."""
    transaction_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO ledger_transactions (id, special_account_id, kind, reference, run_id,"
        " chunk) VALUES ($1, $2, $3, $4, $5, $6)", transaction_id, account.id,
        transaction.kind, transaction.reference, transaction.run_id, transaction.chunk)
    await conn.executemany(
        "INSERT INTO ledger_entries (transaction_id, special_account_id, account, amount_fen)"
        " VALUES ($1, $2, $3, $4)",
        [(transaction_id, account.id, e.account, e.amount_fen) for e in transaction.entries])
    return str(transaction_id)


async def add_appropriation(conn: Connection, *, appropriation_id: str,
                            account: SpecialAccount, level: FiscalLevel, amount_fen: int,
                            transaction_id: str, recorded_by: str,
                            recorded_at: datetime, document_number: str | None = None) -> None:
    await conn.execute(
        "INSERT INTO appropriations (id, special_account_id, fiscal_level, amount_fen,"
        " transaction_id, recorded_by, recorded_at, document_number)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        appropriation_id, account.id, level, amount_fen, transaction_id, recorded_by,
        recorded_at, document_number)


async def appropriation_by_document(conn: Connection, account: SpecialAccount,
                                    document_number: str) -> asyncpg.Record | None:
    """The appropriation already recorded under a budget document, if any."""
    row: asyncpg.Record | None = await conn.fetchrow(
        "SELECT id::text AS appropriation_id, fiscal_level, amount_fen FROM appropriations"
        " WHERE special_account_id = $1 AND document_number = $2", account.id,
        document_number)
    return row
