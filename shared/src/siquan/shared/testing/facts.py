"""Full household facts and the required evidence for an application, as the demo and the
tests submit them: every fact the program's criteria read is stated (an application
without one is incomplete and refused), chosen so the household falls in the category
claimed, and every kind of evidence any version of the program requires for that
category is filed before approval.

The facts are built from the catalogue's own criteria and category rules, so a program
added to the catalogue needs no entry here. The applicant's birth date and sex are the
resident ID's (eligibility checks them against it).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from siquan.contracts.criteria import CategoryRule
from siquan.contracts.policy import PolicyVersion, load_catalogue

EVIDENCE_CONTENT_TYPE = "application/pdf"


def applicant_of(resident_id: str) -> dict[str, str]:
    """Birth date (digits 7-14) and sex (digit 17: odd male, even female) of an ID."""
    born = f"{resident_id[6:10]}-{resident_id[10:12]}-{resident_id[12:14]}"
    return {"birth_date": born, "sex": "male" if int(resident_id[16]) % 2 else "female"}


def _version(program_code: str, on: date | None) -> PolicyVersion:
    catalogue = load_catalogue()
    if on is not None:
        try:
            return catalogue.in_force(program_code, on)
        except KeyError:
            pass
    unscoped = [v for v in catalogue.versions
                if v.program_code == program_code and v.division_scope is None]
    return max(unscoped, key=lambda v: v.effective_from)


def qualifying_household(resident_id: str, program_code: str, category: str,
                         on: date | None = None) -> dict[str, Any]:
    """Facts (JSON, as `household` in an application) with which the resident qualifies
    for `program_code`/`category` under the version in force on `on` (default: the
    newest unscoped version): every fact is stated, none left to its default."""
    version = _version(program_code, on)
    criteria = version.eligibility
    rule = version.benefit(category).when or CategoryRule()
    applicant = applicant_of(resident_id)
    role = "child" if criteria.beneficiary == "child" else "parent"
    types = rule.family_types or tuple(t for t in criteria.family_types if t != "any") \
        or ("one_child",)
    family_type = types[0]
    grade = rule.disability_grades[0] if rule.disability_grades else 1
    young = criteria.child_age_below is not None
    children = _children(family_type, applicant, role, grade, young)
    contraception = rule.contraception or criteria.contraception
    requires = set(criteria.requires)
    complication = (rule.complication_grades[0] if rule.complication_grades
                    else 1 if "complication" in requires else None)
    return {
        "applicant": applicant, "applicant_role": role,
        "residence": "urban" if criteria.residence == "urban" else "rural",
        "family_type": family_type, "children": children,
        "holds_one_child_certificate": family_type != "two_daughters",
        "contraception_method": "sterilization" if contraception else None,
        "contraception_since": "2010-03-01" if contraception else None,
        "gave_up_second_child": "gave_up_second_child" in requires,
        "complication_grade": complication,
        "school_level": rule.school_levels[0] if rule.school_levels else None,
        "enrolled": "enrolled" in requires, "good_grades": "good_grades" in requires,
        "in_hardship": "hardship" in requires,
        "on_minimum_living_allowance": "minimum_living_allowance" in requires,
        "enrolled_in_rural_pension": "rural_pension" in requires,
    }


def _children(family_type: str, applicant: dict[str, str], role: str, grade: int,
              young: bool) -> list[dict[str, Any]]:
    if role == "child":  # the applicant is one of the children (a daughter)
        first = {**applicant, "status": "alive"}
        if family_type == "two_daughters":
            born = date.fromisoformat(applicant["birth_date"])
            return [first, {"birth_date": born.replace(year=born.year - 2).isoformat(),
                            "sex": "female", "status": "alive"}]
        return [first]
    parent_born = date.fromisoformat(applicant["birth_date"])
    born = date(2020, 5, 1) if young else date(parent_born.year + 25, 5, 1)
    child: dict[str, Any] = {"birth_date": born.isoformat(), "sex": "female"}
    if family_type == "one_child":
        return [{**child, "status": "alive"}]
    if family_type == "only_child_died":
        return [{**child, "status": "died",
                 "died_on": date(born.year + 10, 8, 1).isoformat()}]
    if family_type == "only_child_disabled":
        return [{**child, "status": "disabled", "disability_grade": grade}]
    if family_type == "two_daughters":
        return [{**child, "status": "alive"},
                {"birth_date": date(born.year + 3, 2, 1).isoformat(), "sex": "female",
                 "status": "alive"}]
    return []


def household_registration(resident_id: str, name: str, facts: dict[str, Any],
                           division_code: str) -> dict[str, Any]:
    """A `POST /households` body registering the resident as the head (户主) of a
    household of their own with the household's part of `facts` (an application for a
    per-household benefit comes from a registered household). Its number is derived from
    the resident ID, so registering the same again is answered `already_registered`."""
    shared = ("residence", "family_type", "children", "holds_one_child_certificate",
              "gave_up_second_child", "in_hardship", "on_minimum_living_allowance")
    return {"household_number": f"{division_code}-{resident_id[-12:]}",
            "division_code": division_code,
            "facts": {k: facts[k] for k in shared if k in facts},
            "members": [{"resident_id": resident_id, "name": name, "relationship": "head"}]}


def required_evidence(program_code: str, category: str) -> list[str]:
    """Every kind of evidence any version of the program requires for the category (so
    the application can be approved whichever version is in force that day)."""
    kinds: list[str] = []
    for version in load_catalogue().versions:
        if version.program_code != program_code:
            continue
        try:
            required = version.required_evidence(category)
        except KeyError:
            continue
        kinds.extend(kind for kind in required if kind not in kinds)
    return kinds


def evidence_file(kind: str) -> tuple[str, bytes, str]:
    """A small stand-in scan of a document of `kind` (multipart `file`)."""
    return (f"{kind}.pdf", b"%PDF-1.4\n% " + kind.encode() + b"\n", EVIDENCE_CONTENT_TYPE)
