"""Household facts as an application states them, checked against the policy's criteria.

The facts model and the evaluator are the catalogue's (`siquan.contracts.household`,
`siquan.contracts.criteria`); this module reads the applicant's own birth date and sex
from the resident ID, parses the survey's compact children column, and turns an
assessment into problems named by the field the clerk has to correct.
"""

from __future__ import annotations

from datetime import date

from siquan.contracts.criteria import missing_facts
from siquan.contracts.household import Child, HouseholdFacts, Person
from siquan.contracts.policy import PolicyCatalogue

Problem = tuple[str, str]  # (field, message)

_FIELD_OF_REASON = (("residence", "residence"), ("family type", "family_type"),
                    ("category", "category"), ("owed from", "eligible_from"),
                    ("no longer owed", "eligible_from"), ("ends (", "eligible_from"))


def applicant_from_id(resident_id: str) -> Person:
    """Birth date (digits 7-14) and sex (digit 17: odd male, even female) of a resident ID."""
    born = date(int(resident_id[6:10]), int(resident_id[10:12]), int(resident_id[12:14]))
    return Person(birth_date=born, sex="male" if int(resident_id[16]) % 2 else "female")


def parse_children(text: str) -> tuple[Child, ...]:
    """`female:1990-05-01:alive;male:1988-01-01:died:2010-03-02;female:1992-01-01:disabled:2`:
    sex, birth date, status and, for a death its date, for a disability its grade."""
    children = []
    for item in filter(None, (part.strip() for part in text.split(";"))):
        sex, born, status, *extra = (p.strip() for p in item.split(":"))
        detail: dict[str, object] = {"sex": sex, "birth_date": born, "status": status}
        if status == "died" and extra:
            detail["died_on"] = extra[0]
        if status == "disabled" and extra:
            detail["disability_grade"] = extra[0]
        children.append(Child.model_validate(detail))
    return tuple(children)


MISSING = "missing: the program's criteria need this fact"
UNREGISTERED = ("missing: a per-household benefit is applied for by a household in the "
                "household register (户籍); register the household with its members first")
"""A per-household program's applicant outside the register: which household the benefit
goes to, and so whether another member holds it already, is not known (the facts an
application states name no spouse), so the application is incomplete like one lacking a
fact the criteria read."""
BAD_BIRTH_DATE = "the resident ID's birth date (digits 7-14) is not a date"


def assess(catalogue: PolicyCatalogue, program_code: str, category: str,
           eligible_from: date, division_code: str, facts: HouseholdFacts | None,
           resident_id: str, *, in_register: bool | None = None) -> list[Problem]:
    """What stops an application for `program_code`/`category` from `eligible_from`:
    no version in force, no such category, facts the version's criteria read that the
    application does not state (each named `household.<fact>`, the application is
    incomplete), an applicant whose birth date or sex is not the resident ID's, or facts
    that do not qualify on that day. No criterion is skipped: without its facts the
    application is incomplete, never assessed. With `in_register` False, an application
    for a per-household program is incomplete too (`household`, `UNREGISTERED`)."""
    try:
        policy = catalogue.in_force(program_code, eligible_from, division_code)
    except KeyError as exc:
        return [("program_code", str(exc.args[0]))]
    try:
        policy.benefit(category)
    except KeyError as exc:
        return [("category", str(exc.args[0]))]
    missing = missing_facts(policy, facts)
    unregistered = ([("household", UNREGISTERED)]
                    if in_register is False and catalogue.per_household(program_code) else [])
    if facts is None or missing or unregistered:
        # the applicant's own birth date and sex are the resident ID's: never missing
        return [*unregistered, *((f"household.{name}", MISSING) for name in missing
                                 if name != "applicant")]
    try:
        own = applicant_from_id(resident_id)
    except ValueError:
        return [("resident_id", BAD_BIRTH_DATE)]
    if (facts.applicant.birth_date, facts.applicant.sex) != (own.birth_date, own.sex):
        return [("household.applicant", "the applicant's birth date and sex must be those "
                 "of the resident ID")]
    assessment = catalogue.assess(program_code, facts, eligible_from, division_code, category)
    return [(_field_of(reason), reason) for reason in assessment.reasons]


def incomplete(problems: list[Problem]) -> list[str]:
    """The facts an assessment found missing (`household.<fact>`, and `household` for a
    per-household program's applicant outside the register), in order."""
    return [field for field, message in problems if message in (MISSING, UNREGISTERED)]


def _field_of(reason: str) -> str:
    for needle, field in _FIELD_OF_REASON:
        if needle in reason:
            return field
    return "household"
