"""Special accounts with their balances, the ledger postings and the appropriations, in
fund custody's PostgreSQL database.

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

from siquan.fund_custody.application.ports import RecordedAppropriation
from siquan.fund_custody.domain.ledger import Books, Transaction
from siquan.fund_custody.domain.special_account import AccountKey, SpecialAccount
from siquan.shared.database import Connection

_SELECT = """
SELECT s.id, s.program_code, s.fiscal_year, s.division_code, s.closed_at IS NOT NULL
       OR EXISTS (SELECT 1 FROM special_accounts later WHERE
                  later.program_code = s.program_code
                  AND later.division_code = s.division_code
                  AND later.fiscal_year > s.fiscal_year
                  AND later.closed_at IS NOT NULL) AS closed
FROM special_accounts s"""
_BY_KEY = " WHERE s.program_code = $1 AND s.fiscal_year = $2 AND s.division_code = $3"


async def _account(conn: Connection, row: asyncpg.Record) -> SpecialAccount:
    """The account of a row with its balances, read by a statement of its own: after a
    lock was waited for, a new statement sees what the lock holder committed."""
    rows = await conn.fetch("SELECT account, balance_fen FROM ledger_balances"
                            " WHERE special_account_id = $1", row["id"])
    key = AccountKey(row["program_code"], row["fiscal_year"], row["division_code"])
    books = Books.of({r["account"]: r["balance_fen"] for r in rows})
    return SpecialAccount(str(row["id"]), key, books, row["closed"])


class PgSpecialAccounts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock_or_open(self, key: AccountKey) -> SpecialAccount:
        await self._conn.execute(
            "INSERT INTO special_accounts (id, program_code, fiscal_year, division_code)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            uuid.uuid4(), key.program_code, key.fiscal_year, key.division_code)
        row = await self._conn.fetchrow(_SELECT + _BY_KEY + " FOR UPDATE",
                                        key.program_code, key.fiscal_year, key.division_code)
        assert row is not None  # inserted just above, or already there
        return await _account(self._conn, row)

    async def lock(self, account_id: str) -> SpecialAccount:
        row = await self._conn.fetchrow(_SELECT + " WHERE s.id = $1 FOR UPDATE", account_id)
        if row is None:
            raise LookupError(f"no special account {account_id}")
        return await _account(self._conn, row)

    async def find(self, key: AccountKey) -> SpecialAccount | None:
        row = await self._conn.fetchrow(_SELECT + _BY_KEY, key.program_code,
                                        key.fiscal_year, key.division_code)
        return None if row is None else await _account(self._conn, row)

    async def close(self, account: SpecialAccount, at: datetime) -> None:
        await self._conn.execute("UPDATE special_accounts SET closed_at = $2 WHERE id = $1",
                                 account.id, at)

    async def first_open_year_after(self, key: AccountKey) -> int:
        year: int = await self._conn.fetchval(
            "SELECT coalesce(max(fiscal_year), $3) + 1 FROM special_accounts WHERE"
            " program_code = $1 AND division_code = $2 AND fiscal_year >= $3"
            " AND closed_at IS NOT NULL", key.program_code, key.division_code,
            key.fiscal_year)
        return year


class PgLedger:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def record(self, account: SpecialAccount, transaction: Transaction) -> str:
        """The transaction, then its entries (whose triggers check the closed loop and
        move the balances; a deferred one checks at commit that they sum to zero)."""
        transaction_id = uuid.uuid4()
        await self._conn.execute(
            "INSERT INTO ledger_transactions (id, special_account_id, kind, reference,"
            " run_id, chunk) VALUES ($1, $2, $3, $4, $5, $6)", transaction_id, account.id,
            transaction.kind, transaction.reference, transaction.run_id, transaction.chunk)
        await self._conn.execute(
            "INSERT INTO ledger_entries (transaction_id, special_account_id, account,"
            " amount_fen) SELECT $1, $2, e.account, e.amount"
            " FROM unnest($3::text[], $4::bigint[]) WITH ORDINALITY AS e(account, amount, n)"
            " ORDER BY e.n", transaction_id, account.id,
            [e.account for e in transaction.entries],
            [e.amount_fen for e in transaction.entries])
        return str(transaction_id)


class PgAppropriations:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def add(self, a: RecordedAppropriation) -> None:
        await self._conn.execute(
            "INSERT INTO appropriations (id, special_account_id, fiscal_level, amount_fen,"
            " transaction_id, recorded_by, recorded_at, document_number)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", a.id, a.special_account_id, a.level,
            a.amount_fen, a.transaction_id, a.recorded_by, a.recorded_at, a.document_number)

    async def by_document(self, special_account_id: str,
                          document_number: str) -> RecordedAppropriation | None:
        row = await self._conn.fetchrow(
            "SELECT * FROM appropriations WHERE special_account_id = $1"
            " AND document_number = $2", special_account_id, document_number)
        if row is None:
            return None
        return RecordedAppropriation(
            str(row["id"]), str(row["special_account_id"]), row["fiscal_level"],
            row["amount_fen"], str(row["transaction_id"]), row["recorded_by"],
            row["recorded_at"], row["document_number"])
