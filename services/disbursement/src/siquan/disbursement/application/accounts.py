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
  change like another (a second officer confirms it).
- A payee agent (代领人) collects for a beneficiary: the account registered with the agent
  is the agent's own, under the agent's name; events say the person is paid through an
  agent (masked, with the kind of evidence). Ending the agency makes the beneficiary's own
  latest account current again, a change a second officer confirms like any other.
- Every account is compared by its keyed fingerprint with the accounts of other payees: one
  shared outside a household and any recorded agency is held for a second officer's
  confirmation (`sharing.SHARED_OUTSIDE_HOUSEHOLD`) even as a first registration, and is
  in the duplicates report until it is no longer shared."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from siquan.contracts.disbursement_v1 import PayeeAccountConfirmed, PayeeAccountRegistered
from siquan.disbursement.application.repositories import Work
from siquan.disbursement.domain.errors import NotFound, OutOfScope, Refused
from siquan.disbursement.domain.roster import PayeeAccount
from siquan.disbursement.domain.sharing import (
    AGENT_IS_BENEFICIARY,
    NO_AGENT,
    NO_OWN_ACCOUNT,
    SHARED_OUTSIDE_HOUSEHOLD,
    AccountUser,
    PayeeAgent,
    involved_in_duplicate,
    shared_outside_household,
)
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
    fingerprint: str | None = None
    agent: PayeeAgent | None = None


@dataclass(frozen=True)
class EndAgency:
    officer: Officer
    person_key: str


@dataclass(frozen=True)
class Registration:
    person_key: str
    masked_account: str
    changed: bool
    replaces_previous: bool
    awaiting_confirmation: bool
    division_code: str
    collected_by_agent: bool = False
    held_reason: str | None = None


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
    agent = command.agent
    if agent is not None and agent.person_key == key:
        raise Refused(AGENT_IS_BENEFICIARY)
    await uow.accounts.lock(key)
    division = await _division_in_scope(officer, key, uow)
    current = await uow.accounts.current(key)
    if account.same_as(current) and await uow.accounts.agent_of(key) == agent:
        waiting = await uow.accounts.awaiting_confirmation(key) is not None
        return Registration(key, account.masked, changed=False, replaces_previous=False,
                            awaiting_confirmation=waiting, division_code=division,
                            collected_by_agent=agent is not None)
    return await _make_current(uow, officer, key, account, command.fingerprint, agent,
                               division, has_previous=current is not None)


async def _make_current(uow: Work, officer: Officer, key: str, account: PayeeAccount,
                        fingerprint: str | None, agent: PayeeAgent | None, division: str,
                        *, has_previous: bool) -> Registration:
    shared = False
    if fingerprint is not None:
        payee = AccountUser(key, await uow.accounts.household_of(key),
                            None if agent is None else agent.person_key)
        shared = shared_outside_household(payee, await uow.accounts.users_of(fingerprint))
    needs_checker = has_previous or shared
    now = uow.clock.now()
    previous = await uow.accounts.replace(key, account, division_code=division,
                                          registered_by=officer.id, at=now,
                                          needs_checker=needs_checker,
                                          fingerprint=fingerprint, agent=agent)
    uow.publish(PayeeAccountRegistered(
        person_key=key, bank_code=account.bank_code, masked_account=account.masked,
        registered_by=officer.id, registered_at=now,
        replaces_previous=previous is not None, previous_registered_at=previous,
        division_code=division, awaiting_confirmation=needs_checker,
        account_fingerprint=fingerprint, shared_outside_household=shared,
        **_agent_fields(agent)))
    return Registration(key, account.masked, changed=True,
                        replaces_previous=previous is not None,
                        awaiting_confirmation=needs_checker, division_code=division,
                        collected_by_agent=agent is not None,
                        held_reason=SHARED_OUTSIDE_HOUSEHOLD if shared else None)


def _agent_fields(agent: PayeeAgent | None) -> dict[str, Any]:
    if agent is None:
        return {}
    return {"collected_by_agent": True, "agent_person_key": agent.person_key,
            "agent_masked_resident_id": agent.masked_resident_id,
            "agent_evidence_kind": agent.evidence_kind}


async def end_agency(command: EndAgency, uow: Work) -> Registration:
    """The beneficiary is paid into their own latest account again; a second officer
    confirms the change."""
    key, officer = command.person_key, command.officer
    await uow.accounts.lock(key)
    division = await _division_in_scope(officer, key, uow)
    if await uow.accounts.agent_of(key) is None:
        raise NotFound(NO_AGENT)
    own = await uow.accounts.own_account(key)
    if own is None:
        raise Refused(NO_OWN_ACCOUNT)
    account, fingerprint = own
    return await _make_current(uow, officer, key, account, fingerprint, None, division,
                               has_previous=True)


async def duplicates(uow: Work, officer: Officer) -> list[dict[str, Any]]:
    """Accounts receiving for payees no household or agency links, within the officer's
    scope: each with its masked number, fingerprint and the payees involved."""
    found = []
    for shared in await uow.accounts.shared():
        involved = involved_in_duplicate(shared.users)
        if not involved or not any(officer.covers(u.division_code or "")
                                   for u in involved):
            continue
        found.append({"kind": "shared_account", "account_fingerprint": shared.fingerprint,
                      "masked_account": shared.masked_account,
                      "reason": "one account receives for payees outside a household and "
                                "any recorded agency",
                      "payees": [{"person_key": u.person_key,
                                  "division_code": u.division_code,
                                  "through_agent": u.agent_key is not None}
                                 for u in involved]})
    return found


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
        division_code=division, account_fingerprint=change.fingerprint,
        **_agent_fields(change.agent)))
    return Confirmation(key, change.account.masked, change.registered_by, officer.id,
                        division)
