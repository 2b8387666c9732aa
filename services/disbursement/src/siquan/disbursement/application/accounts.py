"""Registering where a beneficiary is paid. The resident ID becomes a person key here and
is not stored; the account number is stored, and leaves only masked. Every change is an
event carrying when the replaced account had been registered, so oversight can weigh a
change made just before a run (the run flags those too)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from siquan.contracts.disbursement_v1 import PayeeAccountRegistered
from siquan.disbursement.adapters import accounts
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.shared.auth import Officer
from siquan.shared.outbox import Outbox
from siquan.shared.person import person_key


@dataclass(frozen=True)
class Registration:
    person_key: str
    masked_account: str
    changed: bool
    replaces_previous: bool


async def register_payee_account(pool: asyncpg.Pool, outbox: Outbox, officer: Officer, *,
                                 secret: str, resident_id: str, bank_code: str,
                                 account_number: str, division_code: str,
                                 now: datetime) -> Registration:
    officer.check_scope(division_code)
    key = person_key(secret, resident_id)
    account = PayeeAccount(bank_code, account_number)
    async with pool.acquire() as conn, conn.transaction():
        await accounts.lock_person(conn, key)
        if await accounts.current(conn, key) == account:
            return Registration(key, account.masked, changed=False, replaces_previous=False)
        previous = await accounts.replace(conn, person_key=key, account=account,
                                          division_code=division_code,
                                          registered_by=officer.id, at=now)
        await outbox.add(conn, PayeeAccountRegistered(
            person_key=key, bank_code=bank_code, masked_account=account.masked,
            registered_by=officer.id, registered_at=now,
            replaces_previous=previous is not None, previous_registered_at=previous,
            division_code=division_code))
    return Registration(key, account.masked, changed=True,
                        replaces_previous=previous is not None)
