"""Registering where a beneficiary is paid. The resident ID became a person key at the
entrypoint and is not stored; the account number is stored, and leaves only masked.

- The division is the one of the certifications disbursement holds for the person, never
  one the officer names: an officer registers or changes an account only for a person
  whose every certification in force lies in the officer's scope.
- A first account is paid at once. A change of an existing account is paid only once a
  second disbursement officer (the checker, never the officer who made the change)
  confirms it, re-entering the account; until then a run skips the person ("account
  change awaiting confirmation").
- Every registration and confirmation is an event naming the officers, so oversight sees
  maker and checker, and a change carries when the replaced account had been registered
  (the run flags recent changes too).
- The account holder's name (户名) is kept with the account because the bank's 代发 file
  names the payee; it is in no event and no answer. A correction of the name alone is a
  change like another (a second officer confirms it)."""

from __future__ import annotations

from dataclasses import dataclass

from siquan.contracts.disbursement_v1 import PayeeAccountConfirmed, PayeeAccountRegistered
from siquan.disbursement.application.repositories import Work
from siquan.disbursement.domain.errors import NotFound, OutOfScope, Refused
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.shared.auth import Officer

NO_CERTIFICATION = "no certification in force is held for this person"
OUT_OF_SCOPE = "the person's certification lies outside the officer's division scope"
NOTHING_TO_CONFIRM = "no account change awaits confirmation for this person"
NOT_THE_CHANGE = "the account does not match the change awaiting confirmation"
MAKER_IS_NOT_CHECKER = "the officer who registered a change cannot confirm it"


@dataclass(frozen=True)
class RegisterPayeeAccount:
    officer: Officer
    person_key: str
    account: PayeeAccount


@dataclass(frozen=True)
class Registration:
    person_key: str
    masked_account: str
    changed: bool
    replaces_previous: bool
    awaiting_confirmation: bool
    division_code: str


@dataclass(frozen=True)
class ConfirmPayeeAccount:
    officer: Officer
    person_key: str
    account: PayeeAccount


@dataclass(frozen=True)
class Confirmation:
    person_key: str
    masked_account: str
    registered_by: str
    confirmed_by: str
    division_code: str


async def _division_in_scope(officer: Officer, person_key: str, uow: Work) -> str:
    """The person's division, from the certifications held; refused unless the officer
    covers every one of them. The reasons name no person."""
    divisions = await uow.certifications.divisions_of(person_key, uow.clock.today())
    if not divisions:
        raise NotFound(NO_CERTIFICATION)
    if not all(officer.covers(d) for d in divisions):
        raise OutOfScope(OUT_OF_SCOPE)
    return divisions[0]


async def register_payee_account(command: RegisterPayeeAccount, uow: Work) -> Registration:
    key, account, officer = command.person_key, command.account, command.officer
    await uow.accounts.lock(key)
    division = await _division_in_scope(officer, key, uow)
    if account.same_as(await uow.accounts.current(key)):
        waiting = await uow.accounts.awaiting_confirmation(key) is not None
        return Registration(key, account.masked, changed=False, replaces_previous=False,
                            awaiting_confirmation=waiting, division_code=division)
    now = uow.clock.now()
    has_previous = await uow.accounts.current(key) is not None
    previous = await uow.accounts.replace(key, account, division_code=division,
                                          registered_by=officer.id, at=now,
                                          needs_checker=has_previous)
    uow.publish(PayeeAccountRegistered(
        person_key=key, bank_code=account.bank_code, masked_account=account.masked,
        registered_by=officer.id, registered_at=now,
        replaces_previous=previous is not None, previous_registered_at=previous,
        division_code=division, awaiting_confirmation=has_previous))
    return Registration(key, account.masked, changed=True,
                        replaces_previous=previous is not None,
                        awaiting_confirmation=has_previous, division_code=division)


async def confirm_payee_account(command: ConfirmPayeeAccount, uow: Work) -> Confirmation:
    """The checker confirms the change awaiting confirmation, naming the same account."""
    key, officer = command.person_key, command.officer
    await uow.accounts.lock(key)
    division = await _division_in_scope(officer, key, uow)
    change = await uow.accounts.awaiting_confirmation(key)
    if change is None:
        raise NotFound(NOTHING_TO_CONFIRM)
    if not change.account.same_as(command.account):
        raise Refused(NOT_THE_CHANGE)
    if change.registered_by == officer.id:
        raise OutOfScope(MAKER_IS_NOT_CHECKER)
    now = uow.clock.now()
    await uow.accounts.confirm(key, confirmed_by=officer.id, at=now)
    uow.publish(PayeeAccountConfirmed(
        person_key=key, bank_code=change.account.bank_code,
        masked_account=change.account.masked, registered_by=change.registered_by,
        registered_at=change.registered_at, confirmed_by=officer.id, confirmed_at=now,
        division_code=division))
    return Confirmation(key, change.account.masked, change.registered_by, officer.id,
                        division)
