"""The payee account registry's table: every account ever registered for a person, the
current one unsuperseded. The full account number stays in this database."""

from __future__ import annotations

from datetime import datetime

from siquan.disbursement.adapters.db import Connection
from siquan.disbursement.domain.roster import PayeeAccount


async def lock_person(conn: Connection, person_key: str) -> None:
    """Serialise registrations for one person within the caller's transaction."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                       f"payee:{person_key}")


async def current(conn: Connection, person_key: str) -> PayeeAccount | None:
    row = await conn.fetchrow(
        "SELECT bank_code, account_number FROM payee_accounts"
        " WHERE person_key = $1 AND superseded_at IS NULL", person_key)
    return None if row is None else PayeeAccount(row["bank_code"], row["account_number"])


async def replace(conn: Connection, *, person_key: str, account: PayeeAccount,
                  division_code: str, registered_by: str, at: datetime) -> datetime | None:
    """Make `account` the person's current one; returns when the account it superseded had
    been registered (None for a first registration)."""
    previous: datetime | None = await conn.fetchval(
        "UPDATE payee_accounts SET superseded_at = $2"
        " WHERE person_key = $1 AND superseded_at IS NULL RETURNING registered_at",
        person_key, at)
    await conn.execute(
        "INSERT INTO payee_accounts (person_key, bank_code, account_number, masked_account,"
        " division_code, registered_by, registered_at, previous_registered_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        person_key, account.bank_code, account.account_number, account.masked,
        division_code, registered_by, at, previous)
    return previous
