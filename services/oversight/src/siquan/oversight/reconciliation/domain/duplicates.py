"""Duplicates (重复享受): the same person certified in programs the policy declares
exclusive, one household certified twice for a per-household benefit, and one bank account
receiving for payees no household and no recorded agency links. Each is a finding with the
events that show it; accounts are known only by their keyed fingerprint and masked number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from siquan.oversight.reconciliation.domain.entitlement import CertificationRecord
from siquan.oversight.reconciliation.domain.findings import (
    ACCOUNT_SHARED_OUTSIDE_HOUSEHOLD,
    CERTIFIED_IN_EXCLUSIVE_PROGRAMS,
    HOUSEHOLD_CERTIFIED_TWICE,
    Finding,
    evidence_of,
)
from siquan.shared.account_sharing import AccountUser, linked


@dataclass(frozen=True)
class AccountUse:
    """The account a payee is paid into now, as disbursement's last registration said."""

    person_key: str
    fingerprint: str
    masked_account: str
    division_code: str | None
    message_id: str
    agent_key: str | None = None
    household_key: str | None = None

    def user(self) -> AccountUser:
        return AccountUser(self.person_key, self.household_key, self.agent_key,
                           self.division_code)


def _together(a: CertificationRecord, b: CertificationRecord) -> bool:
    """Whether both certifications are in force on a common day (checked on each start)."""
    return any(a.status_on(day) == "active" and b.status_on(day) == "active"
               for day in (a.effective_from, b.effective_from))


def _key(*parts: str) -> str:
    return hashlib.sha256("|".join(sorted(parts)).encode()).hexdigest()


def exclusive_programs(cert: CertificationRecord, others: Iterable[CertificationRecord],
                       exclusive: frozenset[str]) -> list[Finding]:
    """The person's certifications in programs exclusive with `cert`'s, in force with it."""
    return [Finding(
        rule=CERTIFIED_IN_EXCLUSIVE_PROGRAMS,
        dedup_key=f"{CERTIFIED_IN_EXCLUSIVE_PROGRAMS.name}:"
                  f"{_key(cert.certification_id, other.certification_id)}",
        reason=f"the person is certified in {cert.program_code} and in "
               f"{other.program_code}, which the policy declares exclusive",
        evidence=evidence_of(other.granted_message, cert.granted_message),
        certification_id=cert.certification_id, person_key=cert.person_key,
        officer_id=cert.approved_by, application_id=cert.application_id,
        program_code=cert.program_code, division_code=cert.division_code,
        details={"exclusive_with": other.program_code,
                 "other_certification_id": other.certification_id})
        for other in others
        if other.person_key == cert.person_key and other.program_code in exclusive
        and other.certification_id != cert.certification_id and _together(cert, other)]


def household_twice(cert: CertificationRecord, members: Iterable[CertificationRecord]
                    ) -> list[Finding]:
    """Other members of `cert`'s household certified for the same per-household program
    at the same time: the household would be paid twice."""
    return [Finding(
        rule=HOUSEHOLD_CERTIFIED_TWICE,
        dedup_key=f"{HOUSEHOLD_CERTIFIED_TWICE.name}:"
                  f"{_key(cert.certification_id, other.certification_id)}",
        reason=f"{cert.program_code} is paid once per household and another member of "
               "the household is certified for it",
        evidence=evidence_of(other.granted_message, cert.granted_message),
        certification_id=cert.certification_id, person_key=cert.person_key,
        officer_id=cert.approved_by, application_id=cert.application_id,
        program_code=cert.program_code, division_code=cert.division_code,
        details={"other_certification_id": other.certification_id})
        for other in members
        if other.program_code == cert.program_code and other.person_key != cert.person_key
        and _together(cert, other)]


def shared_account(uses: list[AccountUse], revealed_by: str) -> Finding | None:
    """One account receiving for payees no household and no recorded agency links; the
    finding names the payee whose registration revealed it and cites every
    registration."""
    if linked([u.user() for u in uses]):
        return None
    named = next((u for u in uses if u.person_key == revealed_by), uses[-1])
    return Finding(
        rule=ACCOUNT_SHARED_OUTSIDE_HOUSEHOLD,
        dedup_key=f"{ACCOUNT_SHARED_OUTSIDE_HOUSEHOLD.name}:{named.fingerprint}:"
                  f"{_key(*(u.person_key for u in uses))}",
        reason=f"one account ({named.masked_account}) receives for {len(uses)} payees no "
               "household and no recorded agency links",
        evidence=evidence_of(*(u.message_id for u in uses)),
        person_key=named.person_key, division_code=named.division_code,
        details={"masked_account": named.masked_account,
                 "account_fingerprint": named.fingerprint, "payees": len(uses),
                 "through_agent": sum(u.agent_key is not None for u in uses)})
