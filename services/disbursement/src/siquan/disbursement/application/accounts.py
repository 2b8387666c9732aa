"""Registering where a beneficiary is paid. The resident ID became a person key at the
entrypoint and is not stored; the account number is stored, and leaves only masked. Every
change is an event carrying when the replaced account had been registered, so oversight
can weigh a change made just before a run (the run flags those too)."""

from __future__ import annotations

from dataclasses import dataclass

from siquan.contracts.disbursement_v1 import PayeeAccountRegistered
from siquan.disbursement.application.repositories import Work
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.shared.auth import Officer


@dataclass(frozen=True)
class RegisterPayeeAccount:
    officer: Officer
    person_key: str
    account: PayeeAccount
    division_code: str


@dataclass(frozen=True)
class Registration:
    person_key: str
    masked_account: str
    changed: bool
    replaces_previous: bool


async def register_payee_account(command: RegisterPayeeAccount, uow: Work) -> Registration:
    command.officer.check_scope(command.division_code)
    key, account = command.person_key, command.account
    await uow.accounts.lock(key)
    if await uow.accounts.current(key) == account:
        return Registration(key, account.masked, changed=False, replaces_previous=False)
    now = uow.clock.now()
    previous = await uow.accounts.replace(key, account, division_code=command.division_code,
                                          registered_by=command.officer.id, at=now)
    uow.publish(PayeeAccountRegistered(
        person_key=key, bank_code=account.bank_code, masked_account=account.masked,
        registered_by=command.officer.id, registered_at=now,
        replaces_previous=previous is not None, previous_registered_at=previous,
        division_code=command.division_code))
    return Registration(key, account.masked, changed=True,
                        replaces_previous=previous is not None)
