"""Loading special accounts with their balances, and storing what the ledger posted.

A special account is always loaded `FOR UPDATE` before money moves, so postings to one
account are serialised across HTTP calls and competing consumers. Only entries are
written here: the database's trigger moves `ledger_balances` in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from siquan.fund_custody.domain.ledger import Books, FiscalLevel, Transaction
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.database import Connection


async def lock_or_open(conn: Connection, key: AccountKey) -> SpecialAccount:
    """The special account for `key`, opened empty if it is new, locked until commit."""
    await conn.execute(
        "INSERT INTO special_accounts (id, program_code, fiscal_year, division_code)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        uuid.uuid4(), key.program_code, key.fiscal_year, key.division_code)
    account_id = await conn.fetchval(
        "SELECT id FROM special_accounts WHERE program_code = $1 AND fiscal_year = $2"
        " AND division_code = $3 FOR UPDATE", key.program_code, key.fiscal_year,
        key.division_code)
    return SpecialAccount(str(account_id), key, await _books(conn, str(account_id)))


async def lock_by_id(conn: Connection, account_id: str) -> SpecialAccount:
    row = await conn.fetchrow(
        "SELECT program_code, fiscal_year, division_code FROM special_accounts"
        " WHERE id = $1 FOR UPDATE", account_id)
    if row is None:
        raise LookupError(f"no special account {account_id}")
    key = AccountKey(row["program_code"], row["fiscal_year"], row["division_code"])
    return SpecialAccount(account_id, key, await _books(conn, account_id))


async def find(conn: Connection, key: AccountKey) -> SpecialAccount | None:
    """Read-only view of a special account, or None if nothing was ever posted to it."""
    account_id = await conn.fetchval(
        "SELECT id FROM special_accounts WHERE program_code = $1 AND fiscal_year = $2"
        " AND division_code = $3", key.program_code, key.fiscal_year, key.division_code)
    if account_id is None:
        return None
    return SpecialAccount(str(account_id), key, await _books(conn, str(account_id)))


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
        "INSERT INTO ledger_transactions (id, special_account_id, kind, reference)"
        " VALUES ($1, $2, $3, $4)", transaction_id, account.id, transaction.kind,
        transaction.reference)
    await conn.executemany(
        "INSERT INTO ledger_entries (transaction_id, special_account_id, account, amount_fen)"
        " VALUES ($1, $2, $3, $4)",
        [(transaction_id, account.id, e.account, e.amount_fen) for e in transaction.entries])
    return str(transaction_id)


async def add_appropriation(conn: Connection, *, appropriation_id: str,
                            account: SpecialAccount, level: FiscalLevel, amount_fen: int,
                            transaction_id: str, recorded_by: str,
                            recorded_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO appropriations (id, special_account_id, fiscal_level, amount_fen,"
        " transaction_id, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        appropriation_id, account.id, level, amount_fen, transaction_id, recorded_by,
        recorded_at)
