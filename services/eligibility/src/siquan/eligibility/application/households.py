"""The household register's commands: register a household with its members and shared
facts, add or remove a member, correct the shared facts, read a household; and what the
register gives the cycle: the facts a registered member's application is assessed on, and
the household a certification is granted to.

Every command is scope-checked against the household's township (or county) and is safe
to repeat: registering the same household again, adding a member already there or
removing one already gone answer what is on record and change nothing. Answers carry
masked names and resident IDs, never the register number or a full ID."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from siquan.contracts.household import HouseholdFacts
from siquan.contracts.types import mask_name, mask_resident_id
from siquan.eligibility.application.ports import Work
from siquan.eligibility.domain.divisions import split_division
from siquan.eligibility.domain.errors import InvalidRequest, NotFound, Refused
from siquan.eligibility.domain.household import applicant_from_id
from siquan.eligibility.domain.household_register import (
    Household,
    Member,
    Relationship,
    check_shared,
    facts_for,
)
from siquan.eligibility.domain.survey import RegisterFacts
from siquan.shared.auth import Officer
from siquan.shared.person import household_key, person_key


@dataclass(frozen=True)
class NewMember:
    resident_id: str
    name: str
    relationship: Relationship


@dataclass(frozen=True)
class RegisterHousehold:
    officer: Officer
    household_number: str
    division_code: str
    facts: dict[str, Any]
    """The shared facts (`household_register.SHARED_FIELDS`)."""
    members: Sequence[NewMember]


@dataclass(frozen=True)
class AddMember:
    officer: Officer
    household_id: str
    member: NewMember


@dataclass(frozen=True)
class RemoveMember:
    officer: Officer
    household_id: str
    resident_id: str
    reason: str


@dataclass(frozen=True)
class CorrectFacts:
    officer: Officer
    household_id: str
    facts: dict[str, Any]


def _member(uow: Work, new: NewMember) -> Member:
    return Member(person_key(uow.terms.person_key_secret, new.resident_id),
                  mask_name(new.name), mask_resident_id(new.resident_id), new.relationship,
                  applicant_from_id(new.resident_id))


def view(household: Household) -> dict[str, Any]:
    """What an officer reads of a household: no register number, no full ID."""
    return {"household_id": household.id, "division_code": household.division_code,
            "township_code": household.township_code, "facts": household.facts,
            "members": [{"masked_name": m.masked_name,
                         "masked_resident_id": m.masked_resident_id,
                         "relationship": m.relationship} for m in household.members]}


def _head(members: Sequence[Member]) -> Member:
    heads = [m for m in members if m.relationship == "head"]
    if len(heads) != 1:
        raise InvalidRequest("a household has exactly one head (户主)")
    return heads[0]


async def register(command: RegisterHousehold, uow: Work) -> tuple[dict[str, Any], bool]:
    """The household as registered, and whether it was registered now (False: the same
    household was on record already)."""
    c = command
    c.officer.check_scope(c.division_code)
    county, township = split_division(c.division_code)
    members = [_member(uow, m) for m in c.members]
    if len({m.person_key for m in members}) != len(members):
        raise InvalidRequest("a person is named twice among the members")
    head = _head(members)
    facts = check_shared(c.facts, head.applicant)
    number = c.household_number.strip().upper()
    existing = await uow.households.by_number(number)
    if existing is not None:
        c.officer.check_scope(existing.scope)
        same = (existing.facts == facts and existing.division_code == county
                and existing.township_code == township
                and {(m.person_key, m.relationship) for m in existing.members}
                == {(m.person_key, m.relationship) for m in members})
        if not same:
            raise Refused(f"this household register number is registered already as "
                          f"household {existing.id}, with other members or facts")
        return view(existing), False
    household = Household(str(uuid.uuid4()), number,
                          household_key(uow.terms.person_key_secret, number), county, township,
                          facts, tuple(members))
    await uow.households.add(household, {m.person_key: n.resident_id
                                         for m, n in zip(members, c.members, strict=True)},
                             by=c.officer.id, at=uow.now())
    return view(household), True


async def _household(uow: Work, officer: Officer, household_id: str) -> Household:
    household = await uow.households.get(household_id, for_update=True)
    officer.check_scope(household.scope)
    return household


async def add_member(command: AddMember, uow: Work) -> tuple[dict[str, Any], bool]:
    """The household after; False when the person was a member already (as named)."""
    household = await _household(uow, command.officer, command.household_id)
    member = _member(uow, command.member)
    present = household.member(member.person_key)
    if present is not None:
        if present.relationship != member.relationship:
            raise Refused("this person is a member of the household already, with another "
                          "relationship to the head")
        return view(household), False
    if member.relationship == "head":
        _head([*household.members, member])
    await uow.households.add_member(household.id, member, command.member.resident_id,
                                    by=command.officer.id, at=uow.now())
    return view(await uow.households.get(household.id)), True


async def remove_member(command: RemoveMember, uow: Work) -> tuple[dict[str, Any], bool]:
    """The household after; False when the person had left it already."""
    household = await _household(uow, command.officer, command.household_id)
    key = person_key(uow.terms.person_key_secret, command.resident_id)
    present = household.member(key)
    if present is None:
        if await uow.households.was_member(household.id, key):
            return view(household), False
        raise NotFound(f"the person is not a member of household {household.id}")
    if present.relationship == "head" and len(household.members) > 1:
        raise Refused("the head (户主) leaves the household last; register the remaining "
                      "members under their own head first")
    await uow.households.remove_member(household.id, key, command.reason,
                                       by=command.officer.id, at=uow.now())
    return view(await uow.households.get(household.id)), True


async def correct_facts(command: CorrectFacts, uow: Work) -> dict[str, Any]:
    household = await _household(uow, command.officer, command.household_id)
    facts = check_shared(command.facts, _head(household.members).applicant)
    if facts != household.facts:
        await uow.households.set_facts(household.id, facts, by=command.officer.id,
                                       at=uow.now())
        await uow.certification_ends.reassess(  # the ends the facts set (a child's age)
            person_keys=[m.person_key for m in household.members])
    return view(await uow.households.get(household.id))


async def show(uow: Work, officer: Officer, household_id: str) -> dict[str, Any]:
    household = await uow.households.get(household_id)
    officer.check_scope(household.scope)
    return view(household)


class _RegisterFacts:
    """`RegisterFacts` over the households of many applicants, read once."""

    def __init__(self, secret: str, found: dict[str, Household]) -> None:
        self._secret, self._found = secret, found

    def __call__(self, resident_id: str, stated: HouseholdFacts | None
                 ) -> HouseholdFacts | None:
        key = person_key(self._secret, resident_id)
        household = self._found.get(key)
        if household is None:
            return stated
        member = household.member(key)
        assert member is not None
        return facts_for(household, member, stated)

    def member(self, resident_id: str) -> bool:
        return person_key(self._secret, resident_id) in self._found


async def register_facts(uow: Work, resident_ids: Iterable[str]) -> RegisterFacts:
    """`application_facts` for many applicants (a survey's rows), the register read once
    for all of them, and whether each is a registered household member."""
    secret = uow.terms.person_key_secret
    found = await uow.households.of_persons(sorted({person_key(secret, r)
                                                   for r in resident_ids}))
    return _RegisterFacts(secret, found)


async def application_facts(uow: Work, resident_id: str, stated: HouseholdFacts | None
                            ) -> HouseholdFacts | None:
    """The facts an application is assessed on: for a registered household member, the
    register's shared facts with the applicant's own (stated facts that differ from the
    register are refused); for anyone else, the facts as stated."""
    return (await register_facts(uow, [resident_id]))(resident_id, stated)
