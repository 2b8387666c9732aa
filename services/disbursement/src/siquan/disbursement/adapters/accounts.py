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
from siquan.disbursement.application.repositories import (
    AccountChange,
    SharedAccount,
    UnfingerprintedAccount,
)
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.disbursement.domain.sharing import AccountUser, PayeeAgent


def _account(row: Mapping[str, Any]) -> PayeeAccount:
    return PayeeAccount(row["bank_code"], row["account_number"], row["account_name"] or "")


def _agent(row: Mapping[str, Any]) -> PayeeAgent | None:
    if row["agent_key"] is None:
        return None
    return PayeeAgent(row["agent_key"], row["agent_masked_id"], row["agent_evidence_kind"],
                      row["agent_evidence_reference"])


_AGENT = "agent_key, agent_masked_id, agent_evidence_kind, agent_evidence_reference"


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
                      registered_by: str, at: datetime, needs_checker: bool = False,
                      fingerprint: str | None = None, agent: PayeeAgent | None = None
                      ) -> datetime | None:
        previous: datetime | None = await self._conn.fetchval(
            "UPDATE payee_accounts SET superseded_at = $2"
            " WHERE person_key = $1 AND superseded_at IS NULL RETURNING registered_at",
            person_key, at)
        await self._conn.execute(
            "INSERT INTO payee_accounts (person_key, bank_code, account_number,"
            " masked_account, division_code, registered_by, registered_at,"
            " previous_registered_at, requires_checker, confirmed_at, account_name,"
            f" account_fingerprint, {_AGENT})"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            " CASE WHEN $9::boolean THEN NULL ELSE $7::timestamptz END, $10, $11,"
            " $12, $13, $14, $15)",
            person_key, account.bank_code, account.account_number, account.masked,
            division_code, registered_by, at, previous, needs_checker,
            account.holder_name or None, fingerprint,
            None if agent is None else agent.person_key,
            None if agent is None else agent.masked_resident_id,
            None if agent is None else agent.evidence_kind,
            None if agent is None else agent.evidence_reference)
        return previous

    async def awaiting_confirmation(self, person_key: str) -> AccountChange | None:
        row = await self._conn.fetchrow(
            "SELECT bank_code, account_number, account_name, division_code, registered_by,"
            f" registered_at, account_fingerprint, {_AGENT} FROM payee_accounts"
            " WHERE person_key = $1 AND superseded_at IS NULL AND confirmed_at IS NULL",
            person_key)
        return None if row is None else AccountChange(
            _account(row), row["division_code"],
            row["registered_by"], row["registered_at"], row["account_fingerprint"],
            _agent(row))

    async def confirm(self, person_key: str, *, confirmed_by: str, at: datetime) -> None:
        await self._conn.execute(
            "UPDATE payee_accounts SET confirmed_by = $2, confirmed_at = $3"
            " WHERE person_key = $1 AND superseded_at IS NULL AND confirmed_at IS NULL",
            person_key, confirmed_by, at)

    async def agent_of(self, person_key: str) -> PayeeAgent | None:
        row = await self._conn.fetchrow(
            f"SELECT {_AGENT} FROM payee_accounts"
            " WHERE person_key = $1 AND superseded_at IS NULL", person_key)
        return None if row is None else _agent(row)

    async def own_account(self, person_key: str) -> tuple[PayeeAccount, str | None] | None:
        row = await self._conn.fetchrow(
            "SELECT bank_code, account_number, account_name, account_fingerprint"
            " FROM payee_accounts WHERE person_key = $1 AND agent_key IS NULL"
            " ORDER BY registered_at DESC, id DESC LIMIT 1", person_key)
        return None if row is None else (_account(row), row["account_fingerprint"])

    async def users_of(self, fingerprint: str) -> list[AccountUser]:
        rows = await self._conn.fetch(
            "SELECT a.person_key, h.household_key, a.agent_key, a.division_code"
            " FROM payee_accounts a LEFT JOIN payee_households h USING (person_key)"
            " WHERE a.account_fingerprint = $1 AND a.superseded_at IS NULL"
            " ORDER BY a.registered_at, a.id", fingerprint)
        return [AccountUser(r["person_key"], r["household_key"], r["agent_key"],
                            r["division_code"]) for r in rows]

    async def keep_household(self, person_key: str, household_key: str) -> None:
        await self._conn.execute(
            "INSERT INTO payee_households (person_key, household_key) VALUES ($1, $2)"
            " ON CONFLICT (person_key) DO UPDATE SET household_key = EXCLUDED.household_key",
            person_key, household_key)

    async def household_of(self, person_key: str) -> str | None:
        found: str | None = await self._conn.fetchval(
            "SELECT household_key FROM payee_households WHERE person_key = $1", person_key)
        return found

    async def shared(self) -> list[SharedAccount]:
        rows = await self._conn.fetch(
            "SELECT a.account_fingerprint, a.masked_account, a.person_key, h.household_key,"
            " a.agent_key, a.division_code"
            " FROM payee_accounts a LEFT JOIN payee_households h USING (person_key)"
            " WHERE a.superseded_at IS NULL AND a.account_fingerprint IN ("
            "  SELECT account_fingerprint FROM payee_accounts WHERE superseded_at IS NULL"
            "   AND account_fingerprint IS NOT NULL"
            "  GROUP BY account_fingerprint HAVING count(*) > 1)"
            " ORDER BY a.account_fingerprint, a.registered_at, a.id")
        groups: dict[str, SharedAccount] = {}
        for r in rows:
            user = AccountUser(r["person_key"], r["household_key"], r["agent_key"],
                               r["division_code"])
            group = groups.get(r["account_fingerprint"])
            groups[r["account_fingerprint"]] = SharedAccount(
                r["account_fingerprint"], r["masked_account"],
                (user,) if group is None else (*group.users, user))
        return list(groups.values())

    async def without_fingerprint(self, limit: int) -> list[UnfingerprintedAccount]:
        rows = await self._conn.fetch(
            "SELECT id, person_key, bank_code, account_number, account_name, division_code,"
            " registered_at, superseded_at IS NULL AS current, agent_key"
            " FROM payee_accounts WHERE account_fingerprint IS NULL"
            " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", limit)
        return [UnfingerprintedAccount(r["id"], r["person_key"], _account(r),
                                       r["division_code"], r["registered_at"], r["current"],
                                       r["agent_key"]) for r in rows]

    async def set_fingerprint(self, account_id: int, fingerprint: str) -> bool:
        done: str | None = await self._conn.fetchval(
            "UPDATE payee_accounts SET account_fingerprint = $2"
            " WHERE id = $1 AND account_fingerprint IS NULL RETURNING 'done'",
            account_id, fingerprint)
        return done is not None
