"""Finding duplicates as the events arrive: a certification granted is compared with the
person's other certifications (programs the policy declares exclusive) and with those of
their household (a per-household benefit certified twice); a payee account registered
(or an older one fingerprinted since) is compared, by its keyed fingerprint, with the
accounts of every other payee (one account receiving for payees no household and no
recorded agency links). Each breach is a finding
citing the events that show it."""

from __future__ import annotations

from siquan.contracts import disbursement_v1 as disbursement
from siquan.contracts import eligibility_v1 as eligibility
from siquan.contracts.policy import load_catalogue
from siquan.oversight.application.deferred import Asked
from siquan.oversight.reconciliation.application.eligibility_rules import record_of
from siquan.oversight.reconciliation.application.ports import RuleUnit
from siquan.oversight.reconciliation.application.raising import raise_findings
from siquan.oversight.reconciliation.application.sources import message_id_of
from siquan.oversight.reconciliation.domain.duplicates import (
    AccountUse,
    exclusive_programs,
    household_twice,
    shared_account,
)
from siquan.oversight.reconciliation.domain.entitlement import CertificationRecord
from siquan.shared.registry import handles


@handles(eligibility.CertificationGranted)
async def remember_household(e: eligibility.CertificationGranted, uow: RuleUnit) -> None:
    message_id = message_id_of(uow)
    if e.household_key is not None:
        uow.watched.add_household(person_key=e.person_key, household_key=e.household_key,
                                  message_id=message_id)
    uow.later(judge_duplicate_grants, record_of(e, message_id))


async def judge_duplicate_grants(uow: RuleUnit, asked: Asked[CertificationRecord]) -> None:
    catalogue = load_catalogue()
    certs = [cert for cert, _ in asked]
    persons = [c.person_key for c in certs]
    own = await uow.watched.certifications_of_persons(persons)
    households = await uow.watched.household_certifications(persons)
    for cert, origin in asked:
        found = exclusive_programs(cert, own.get(cert.person_key, []),
                                   catalogue.exclusive_with(cert.program_code))
        if catalogue.per_household(cert.program_code):
            found += household_twice(cert, households.get(cert.person_key, []))
        await raise_findings(uow, found, origin)


@handles(disbursement.PayeeAccountRegistered)
async def remember_account_use(e: disbursement.PayeeAccountRegistered, uow: RuleUnit
                               ) -> None:
    """An account registered is the one the person is paid into (a change awaiting its
    checker too: a shared account is a finding whether or not it is confirmed)."""
    if e.account_fingerprint is None:
        return
    uow.watched.add_account_use(AccountUse(
        e.person_key, e.account_fingerprint, e.masked_account, e.division_code,
        message_id_of(uow), e.agent_person_key), e.registered_at)
    uow.later(judge_shared_accounts, (e.account_fingerprint, e.person_key))


@handles(disbursement.PayeeAccountFingerprinted)
async def remember_fingerprinted_account(e: disbursement.PayeeAccountFingerprinted,
                                         uow: RuleUnit) -> None:
    """An account registered before accounts carried a fingerprint, fingerprinted since:
    compared like one registered with it (as of its registration, so a later account of
    the person stays the one they are paid into)."""
    uow.watched.add_account_use(AccountUse(
        e.person_key, e.account_fingerprint, e.masked_account, e.division_code,
        message_id_of(uow), e.agent_person_key), e.registered_at)
    uow.later(judge_shared_accounts, (e.account_fingerprint, e.person_key))


async def judge_shared_accounts(uow: RuleUnit, asked: Asked[tuple[str, str]]) -> None:
    uses = await uow.watched.account_uses(fingerprint for (fingerprint, _), _ in asked)
    for (fingerprint, person), origin in asked:
        await raise_findings(uow, [shared_account(uses.get(fingerprint, []), person)],
                             origin)
