"""The yearly re-confirmation (年审) and the ends a program's rules set.

The officer who visited or checked re-confirms certifications for a year within their
division (a village clerk or township reviewer their township's, a county approver the
county's; a certification outside it refuses the batch), each with how the person was
found still eligible and, optionally, the evidence it rests on; the officer is the one
authenticated, kept as who confirmed it. All or nothing: one certification that may not
be renewed refuses the batch. What is not re-confirmed lapses after its program's grace
days (`certifications.lapse_unrenewed`, run by the deadlines loop).

The deadlines loop also applies each certification's end by the program's rules
(`apply_end_rules`): it assesses what the rules set for a certification (an age limit of
the beneficiary or of the only child, from the resident ID and the household facts, under
the versions in force from its start), ends those whose day has come and, when a
program's last version stops being in force, ends its certifications. The end is
assessed again whenever what it reads changes (`certification_ends.reassess`): a policy version
published for the program, the household's facts corrected in the register, a transfer
to another county, a change of category; an end that has already passed is applied on
the next pass, from its day. Each end is a revocation by `system` with its reason, from the
first day no longer owed, so disbursement stops paying from that period and oversight
sees it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from siquan.contracts.household import HouseholdFacts
from siquan.contracts.policy import PolicyCatalogue
from siquan.eligibility.application.certifications import check_scope, record
from siquan.eligibility.application.ports import EndToAssess, Work
from siquan.eligibility.domain.certification import Certification, Change
from siquan.eligibility.domain.errors import InvalidRequest
from siquan.eligibility.domain.household_register import Household, facts_for
from siquan.eligibility.domain.reconfirmation import (
    METHODS,
    Method,
    program_end,
    scheduled_end,
)
from siquan.shared.auth import Officer

SYSTEM = "system"


@dataclass(frozen=True)
class Confirmation:
    certification_id: str
    method: Method
    evidence_reference: str | None = None


@dataclass(frozen=True)
class Reconfirm:
    """Re-confirm certifications for `year`, each as its confirmation says; all or
    nothing."""

    officer: Officer
    year: int
    confirmations: Sequence[Confirmation]


async def reconfirm(command: Reconfirm, uow: Work) -> int:
    confirmations, limit = command.confirmations, uow.terms.max_batch
    if not confirmations or len(confirmations) > limit:
        raise InvalidRequest(f"name 1 to {limit} certifications")
    ids = [c.certification_id for c in confirmations]
    if len(set(ids)) != len(ids):
        raise InvalidRequest("a certification appears twice in the batch")
    for confirmation in confirmations:
        if confirmation.method not in METHODS:
            raise InvalidRequest(f"the method is one of {', '.join(METHODS)}")
        reference = confirmation.evidence_reference
        if reference is not None and not 1 <= len(reference.strip()) <= 200:
            raise InvalidRequest("an evidence reference has 1 to 200 characters")
    today = uow.today()
    found = await uow.certifications.get_many(ids, for_update=True)
    for certification in found:
        check_scope(command.officer, certification)
    changed = [(c, c.renew(command.year, today, uow.terms.grace_days(c.program_code),
                           command.officer.id, method=confirmation.method,
                           evidence_reference=_stripped(confirmation.evidence_reference)))
               for c, confirmation in zip(found, confirmations, strict=True)]
    await record(uow, changed)
    return len(changed)


def _stripped(reference: str | None) -> str | None:
    return reference.strip() if reference is not None else None


async def apply_end_rules(uow: Work, *, limit: int = 1_000) -> int:
    """One step of the deadlines loop: assess up to `limit` certifications' ends, end up
    to `limit` whose day has come, and up to `limit` of each program that has ended; how
    many it handled (fewer than `limit`: none is left). A program with a version published
    that this instance does not apply yet is assessed once it does."""
    today = uow.today()
    assessed = await uow.certification_ends.to_assess(limit)
    pending = await programs_pending(uow)
    ready = [a for a in assessed if a.certification.program_code not in pending]
    homes = await uow.households.of_persons(
        sorted({a.certification.person_key for a in ready}))
    await uow.certification_ends.schedule([assess_end(uow, a, homes) for a in ready])
    due = await uow.certification_ends.due(today, limit)
    changed = [(c, c.revoke(ends_on, reason, SYSTEM)) for c, ends_on, reason in due]
    handled = max(len(ready), len(due))
    for program in uow.policies.programs():
        ended = program_end(uow.policies, program)
        if ended is None or today < ended:
            continue
        closing = await uow.certification_ends.live_of_program(program, limit)
        changed += [(c, _end_program(c, ended)) for c in closing]
        handled = max(handled, len(closing))
    await record(uow, changed)
    return handled


async def programs_pending(uow: Work) -> set[str]:
    """The programs with a version published that this instance does not apply yet: their
    certifications' ends are assessed once it does."""
    applied = {(v.program_code, v.version) for v in uow.policies.versions}
    return {v.program_code for v in await uow.policy_drafts.published()
            if (v.program_code, v.version) not in applied}


def assess_end(uow: Work, item: EndToAssess, homes: Mapping[str, Household]
               ) -> tuple[str, date | None, str | None]:
    """A certification's end under its program's rules (day and reason, or none), by the
    register's facts for a member of a registered household (`homes`, by person key)."""
    c = item.certification
    try:
        uow.policies.version(c.program_code, c.policy_version)
    except KeyError:  # a version this instance has not received yet: assessed later
        return c.id, None, None
    end = first_end(uow.policies, c, item.birth_date, _facts(item, homes.get(c.person_key)))
    return (c.id, *end) if end is not None else (c.id, None, None)


def _facts(item: EndToAssess, home: Household | None) -> HouseholdFacts | None:
    """The register's facts for a member of a registered household (corrected there),
    else the application's."""
    member = home.member(item.certification.person_key) if home is not None else None
    if home is not None and member is not None:
        try:
            return facts_for(home, member, None)
        except InvalidRequest:
            pass  # the register's facts do not fit the member: the application's
    try:
        return HouseholdFacts.model_validate(item.facts) if item.facts else None
    except ValidationError:
        return None  # facts stored before they were validated: the ID's birth date only


def first_end(catalogue: PolicyCatalogue, c: Certification, birth: date,
              facts: HouseholdFacts | None) -> tuple[date, str] | None:
    """The first day no longer owed by the age limits of the version in force on that day
    for the certification's county, over every version from the certification's start
    (a version published later, in force from a later day, changes the end from its
    first day); the certification's own version when none of the catalogue's applies."""
    versions = [v for v in catalogue.versions
                if v.program_code == c.program_code and v.applies_to(c.division_code)
                and (v.effective_until is None or v.effective_until > c.effective_from)]
    ends: list[tuple[date, str]] = []
    for version in versions:
        end = scheduled_end(version.criteria, birth, facts)
        if end is None:
            continue
        day = max(end[0], version.effective_from, c.effective_from)
        try:
            in_force = catalogue.in_force(c.program_code, day, c.division_code)
        except KeyError:
            continue
        if in_force.version == version.version:
            ends.append((day, end[1]))
    if not versions:
        return scheduled_end(catalogue.version(c.program_code, c.policy_version).criteria,
                             birth, facts)
    return min(ends) if ends else None


def _end_program(certification: Certification, ended: date) -> Change:
    return certification.revoke(
        ended, f"the program {certification.program_code} ended on {ended}", SYSTEM)
