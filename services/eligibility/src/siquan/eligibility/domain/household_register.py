"""The household register (户籍/家庭): who lives in one household, how each member is
related to its head (户主), and the facts every member's application shares.

The register is the single source of a registered household's facts (children and their
status, residence, family type, the one-child certificate, hardship and minimum living
allowance): a member's application may leave them out, and then the register's are used;
an application that states them differently is refused with the fields that differ, so a
county office corrects the register (one place) rather than two spouses' forms telling two
stories. What is personal to the applicant (birth date and sex, read from the resident ID;
contraception, complications, schooling, pension) stays on the application.

A per-household benefit (the policy's `paid_to = "household"`) is certified once per
household: while one member holds a live certification of such a program, no other member
is certified for it (the rule below, and a unique index in the database). Only a member
of a registered household applies for one, and only a member is certified: two spouses
outside the register would be two households to every check, and the facts an
application states name no spouse to tell them apart. A county office asks for the
household register booklet (户口簿) for such a benefit anyway, so it registers the
household first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from siquan.contracts.household import HouseholdFacts, Person
from siquan.eligibility.domain.errors import InvalidRequest, Refused

Relationship = Literal["head", "spouse", "child", "parent", "other"]

SHARED_FIELDS = ("residence", "family_type", "children", "holds_one_child_certificate",
                 "gave_up_second_child", "in_hardship", "on_minimum_living_allowance")
"""The household facts the register holds for all its members."""

PER_HOUSEHOLD_REFUSAL = ("this benefit is paid once per household (户) and another member "
                         "of the household already holds it")
UNREGISTERED_REFUSAL = ("this benefit is paid once per household (户) and the applicant is "
                        "not a member of a household in the register; register the "
                        "household first")


@dataclass(frozen=True)
class Member:
    person_key: str
    masked_name: str
    masked_resident_id: str
    relationship: Relationship
    applicant: Person
    """Birth date and sex from the resident ID (what the facts need of a member)."""


@dataclass(frozen=True)
class Household:
    id: str
    household_number: str
    household_key: str
    division_code: str
    township_code: str | None
    facts: dict[str, Any]
    """The shared facts (`SHARED_FIELDS`), as JSON."""
    members: tuple[Member, ...] = ()

    @property
    def scope(self) -> str:
        return self.township_code or self.division_code

    def member(self, person_key: str) -> Member | None:
        return next((m for m in self.members if m.person_key == person_key), None)


def shared_facts(facts: HouseholdFacts) -> dict[str, Any]:
    """The household's part of a set of facts, as the register keeps it."""
    dumped = facts.model_dump(mode="json")
    return {name: dumped[name] for name in SHARED_FIELDS}


def check_shared(shared: dict[str, Any], head: Person) -> dict[str, Any]:
    """Validate the register's facts as a whole (a family type that agrees with the
    children); InvalidRequest with the reason, which names no person."""
    try:
        facts = HouseholdFacts.model_validate({**shared, "applicant": head.model_dump()})
    except ValidationError as exc:
        raise InvalidRequest(f"household facts: {_reason(exc)}") from exc
    return shared_facts(facts)


def facts_for(household: Household, member: Member, stated: HouseholdFacts | None
              ) -> HouseholdFacts:
    """The facts a member's application is assessed on: the register's shared facts with
    the applicant's own. Stated facts that differ from the register are refused."""
    if stated is not None:
        mine = shared_facts(stated)
        differ = [name for name in SHARED_FIELDS if mine[name] != household.facts.get(name)]
        if differ:
            raise InvalidRequest(
                "the application states household facts that differ from the household "
                f"register ({', '.join(differ)}): the register is the household's single "
                "source; correct the register, or leave the household facts out",
                errors=[{"field": f"household.{name}", "type": "register",
                         "msg": "differs from the household register"} for name in differ])
        return stated
    spouse = next((m.applicant for m in household.members if m.person_key != member.person_key
                   and {m.relationship, member.relationship} == {"head", "spouse"}), None)
    role = "child" if member.relationship == "child" else "parent"
    try:
        return HouseholdFacts.model_validate({
            **household.facts, "applicant": member.applicant.model_dump(),
            "applicant_role": role,
            "spouse": spouse.model_dump() if spouse is not None else None})
    except ValidationError as exc:
        raise InvalidRequest("the household register's facts do not fit this member: "
                             f"{_reason(exc)}") from exc


def _reason(exc: ValidationError) -> str:
    """The messages without the input (which may describe a person)."""
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" if e["loc"] else e["msg"]
                     for e in exc.errors())


def check_once_per_household(program_code: str, household_key: str | None,
                             live_in_household: set[tuple[str, str]],
                             approving: set[tuple[str, str]]) -> None:
    """Refuse a certification of a per-household program for a household that already
    holds one live (`live_in_household`) or gets one in the same batch (`approving`);
    both are sets of (household key, program), or for a person outside the register
    (`household_key` None). Refused names no person."""
    if household_key is None:
        raise Refused(f"{program_code}: {UNREGISTERED_REFUSAL}", errors=[{
            "field": "household", "type": "missing",
            "msg": "not a member of a registered household"}])
    if (household_key, program_code) in live_in_household | approving:
        raise Refused(f"{program_code}: {PER_HOUSEHOLD_REFUSAL}")
