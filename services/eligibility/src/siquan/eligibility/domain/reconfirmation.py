"""The yearly re-confirmation (年审) and the ends a program's rules set.

Each re-confirmation says how the person was found still eligible (`Method`: seen in
person, a village cadre's visit, a survival check (生存认证), or a partner agency's data)
and by whom; an evidence reference (a file number, a survival-check receipt) may go with
it.

A program's rules end a certification on their own (`scheduled_end`): an age limit of the
beneficiary (`max_age`, e.g. a contribution subsidy ending at 60) or of the only child
(`child_age_below`, e.g. the health fee until the child turns 18), each through its end
rule (the first day no longer owed), and the end of the program itself (`program_end`:
the day after its last version stops being in force). The deadlines loop applies them on
that day, recording the reason.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from siquan.contracts.criteria import Criteria, apply_rule, reaches_age
from siquan.contracts.household import HouseholdFacts
from siquan.contracts.policy import PolicyCatalogue

Method = Literal["in_person", "village_visit", "survival_check", "partner_data"]
METHODS: tuple[Method, ...] = ("in_person", "village_visit", "survival_check",
                               "partner_data")
WorklistStatus = Literal["confirmed", "due", "overdue", "lapsed"]


def scheduled_end(criteria: Criteria, applicant_birth: date,
                  facts: HouseholdFacts | None) -> tuple[date, str] | None:
    """The first day no longer owed by the program's age limits, with the reason; None
    when no limit applies. The applicant's birth date is the resident ID's (the facts',
    when given); the only child's comes from the facts."""
    ends: list[tuple[date, str]] = []
    if criteria.max_age is not None:
        birth = facts.applicant.birth_date if facts is not None else applicant_birth
        reached = reaches_age(birth, criteria.max_age)
        ends.append((apply_rule(criteria.age_end, reached),
                     f"the beneficiary reached the age limit {criteria.max_age} on {reached}"))
    child = facts.only_child() if facts is not None else None
    if criteria.child_age_below is not None and child is not None:
        reached = reaches_age(child.birth_date, criteria.child_age_below)
        ends.append((apply_rule(criteria.child_age_end, reached),
                     f"the only child reached {criteria.child_age_below} on {reached}"))
    if not ends:
        return None
    day, why = min(ends)
    return day, f"{why} (end rule: {criteria.end_rule})"


def program_end(catalogue: PolicyCatalogue, program_code: str) -> date | None:
    """The first day no version of the program is in force any more, or None while one
    has no end."""
    ends = [v.effective_until for v in catalogue.versions if v.program_code == program_code]
    if not ends or any(end is None for end in ends):
        return None
    return max(end for end in ends if end is not None)
