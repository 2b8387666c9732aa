"""The payee account registry's table: every account ever registered for a person, the
current one unsuperseded. The full account number stays in this database.

A change of an existing account is written `requires_checker` and is not paid until a
second disbursement officer confirms it; the table's constraints hold that the checker is
never the maker and that a change is confirmed only by a checker. The holder's name
(`account_name`, migration 0012) is read only to write the bank's 代发 file."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.application.repositories import AccountChange
from siquan.disbursement.domain.roster import PayeeAccount


def _account(row: Mapping[str, Any]) -> PayeeAccount:
    return PayeeAccount(row["bank_code"], row["account_number"], row["account_name"] or "")


class PgPayeeAccounts:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    async def lock(self, person_key: str) -> None:
        await self._conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                                 f"payee:{person_key}")

    async def current(self, person_key: str) -> PayeeAccount | None:
        row = await self._conn.fetchrow(
            "SELECT bank_code, account_number, account_name FROM payee_accounts"
            " WHERE person_key = $1 AND superseded_at IS NULL", person_key)
        return None if row is None else _account(row)

    async def replace(self, person_key: str, account: PayeeAccount, *, division_code: str,
                      registered_by: str, at: datetime, needs_checker: bool = False
                      ) -> datetime | None:
        previous: datetime | None = await self._conn.fetchval(
            "UPDATE payee_accounts SET superseded_at = $2"
            " WHERE person_key = $1 AND superseded_at IS NULL RETURNING registered_at",
            person_key, at)
        await self._conn.execute(
            "INSERT INTO payee_accounts (person_key, bank_code, account_number,"
            " masked_account, division_code, registered_by, registered_at,"
            " previous_registered_at, requires_checker, confirmed_at, account_name)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            " CASE WHEN $9::boolean THEN NULL ELSE $7::timestamptz END, $10)",
            person_key, account.bank_code, account.account_number, account.masked,
            division_code, registered_by, at, previous, needs_checker,
            account.holder_name or None)
        return previous

    async def awaiting_confirmation(self, person_key: str) -> AccountChange | None:
        row = await self._conn.fetchrow(
            "SELECT bank_code, account_number, account_name, division_code, registered_by,"
            " registered_at FROM payee_accounts WHERE person_key = $1"
            " AND superseded_at IS NULL AND confirmed_at IS NULL", person_key)
        return None if row is None else AccountChange(
            _account(row), row["division_code"],
            row["registered_by"], row["registered_at"])

    async def confirm(self, person_key: str, *, confirmed_by: str, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE payee_accounts SET confirmed_by = $2, confirmed_at = $3"
            " WHERE person_key = $1 AND superseded_at IS NULL AND confirmed_at IS NULL",
            person_key, confirmed_by, at)
