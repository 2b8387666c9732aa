"""Eligibility criteria as data, and the pure evaluator that applies them to household facts.

A policy version's `[eligibility]` table is a `Criteria`; each of its benefits may carry a
`CategoryRule` (`[benefits.when]`) that says which households fall in that category.
`evaluate(version, facts, on)` answers: is the applicant eligible on `on`, in which
category, from which day (and until which day), and if not, why not. It reads nothing but
its arguments, so the eligibility service, the public notice and an auditor get the same
answer from the same facts.

Ages (周岁) count completed years: a person reaches age N on their N-th birthday. Someone
born on 29 February has their birthday on 1 March in a common year, so they reach N on
1 March when the N-th anniversary falls in a common year (and on 29 February otherwise).

A start rule turns the day a condition is first met (a birthday, the day a contraceptive
method was put in place) into the first day owed:
`on_the_day` (the day itself), `month_of` / `month_after` (first day of that month / of
the next), `year_of` / `year_after` (1 January of that year / of the next). With the age
birthday as the day these read as from_birthday, month_after_birthday, year_after_birthday
and so on. An end rule works the same way on the day a limit is reached (`max_age`) and
gives the first day no longer owed. A version with no dated condition starts on the
assessment day.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from siquan.contracts.base import StrictPart
from siquan.contracts.household import (
    ContraceptionMethod,
    FamilyType,
    HouseholdFacts,
    SchoolLevel,
    Sex,
)

if TYPE_CHECKING:
    from siquan.contracts.policy import PolicyVersion

StartRule = Literal["on_the_day", "month_of", "month_after", "year_of", "year_after"]
Requirement = Literal["one_child_certificate", "gave_up_second_child", "complication",
                      "enrolled", "good_grades", "hardship", "rural_pension",
                      "minimum_living_allowance"]


class _Frozen(StrictPart):
    model_config = ConfigDict(frozen=True, extra="forbid")


def birthday_in(birth: date, year: int) -> date:
    """A person's birthday in `year`; 29 February births have theirs on 1 March in a
    common year."""
    if birth.month == 2 and birth.day == 29 and not calendar.isleap(year):
        return date(year, 3, 1)
    return date(year, birth.month, birth.day)


def reaches_age(birth: date, age: int) -> date:
    """The day a person born on `birth` turns `age` (completed years)."""
    return birthday_in(birth, birth.year + age)


def age_on(birth: date, day: date) -> int:
    """Completed years (周岁) on `day`; negative before birth is not an age."""
    if day < birth:
        raise ValueError("no age before birth")
    years = day.year - birth.year
    return years if day >= birthday_in(birth, day.year) else years - 1


def apply_rule(rule: StartRule, day: date) -> date:
    """The first day owed (or, for an end rule, no longer owed) for a condition met on
    `day`."""
    if rule == "on_the_day":
        return day
    if rule == "month_of":
        return day.replace(day=1)
    if rule == "month_after":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    if rule == "year_of":
        return date(day.year, 1, 1)
    return date(day.year + 1, 1, 1)


class CategoryRule(_Frozen):
    """Which households fall in a benefit category; every given condition must hold."""

    family_types: tuple[FamilyType, ...] | None = Field(default=None)
    disability_grades: tuple[int, ...] | None = Field(
        default=None, description="Grades (1-4) of the disabled child")
    complication_grades: tuple[int, ...] | None = Field(
        default=None, description="Complication grades (1-3) of the applicant")
    school_levels: tuple[SchoolLevel, ...] | None = Field(
        default=None, description="The applicant's school level")
    contraception: ContraceptionMethod | None = Field(
        default=None, description="Method the couple must have in place")

    def matches(self, facts: HouseholdFacts) -> bool:
        return all((
            self.family_types is None or facts.family_type in self.family_types,
            self.disability_grades is None
            or facts.disabled_child_grade() in self.disability_grades,
            self.complication_grades is None
            or facts.complication_grade in self.complication_grades,
            self.school_levels is None or facts.school_level in self.school_levels,
            self.contraception is None or _method_ok(self.contraception, facts),
        ))


class Criteria(_Frozen):
    """Who qualifies for a program version, and from when to when."""

    residence: Literal["rural", "urban", "any"] = Field(description="Household registration")
    family_types: tuple[FamilyType | Literal["any"], ...] = Field(
        min_length=1, description="Qualifying family types, or [\"any\"]")
    beneficiary: Literal["parent", "child", "any"] = Field(
        default="parent", description="Whether parents or children are certified")
    applicant_sex: Sex | None = Field(default=None, description="Only applicants of this sex")
    min_age: int | None = Field(default=None, ge=0, description="Benefit starts at this age")
    age_start: StartRule = Field(default="on_the_day", description="Start rule at min_age")
    max_age: int | None = Field(default=None, ge=0, description="Benefit ends at this age")
    age_end: StartRule = Field(default="on_the_day", description="End rule at max_age")
    child_age_below: int | None = Field(
        default=None, ge=1, description="Owed while the only child is younger than this")
    child_age_end: StartRule = Field(default="on_the_day", description="End rule for it")
    contraception: ContraceptionMethod | None = Field(
        default=None, description="Method required; sterilization also counts as long_term")
    contraception_start: StartRule = Field(
        default="on_the_day", description="Start rule from the day the method is in place")
    requires: tuple[Requirement, ...] = Field(default=(), description="Facts that must hold")
    start_rule: str = Field(description="When the benefit starts, in words")
    end_rule: str = Field(description="When the benefit ends, in words")

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if "any" in self.family_types and len(self.family_types) > 1:
            raise ValueError('family_types "any" stands alone')
        if self.min_age is not None and self.max_age is not None \
                and self.min_age >= self.max_age:
            raise ValueError("min_age must be below max_age")
        return self


class Assessment(_Frozen):
    """The answer for one applicant, one program version, one day."""

    program_code: str
    version: str
    eligible: bool = Field(description="Owed on the assessment day")
    category: str | None = Field(description="The benefit category the facts fall in")
    starts_on: date | None = Field(description="First day owed (None when never)")
    ends_on: date | None = Field(description="First day no longer owed (None: open)")
    reasons: list[str] = Field(description="Why not eligible; empty when eligible")


_REQUIREMENTS: dict[Requirement, tuple[str, str, Callable[[HouseholdFacts], bool]]] = {
    # requirement: (the fact it reads, reason when missing, predicate); two-daughter
    # households cannot hold the one-child certificate, so it is required of every other
    # household.
    "one_child_certificate": ("holds_one_child_certificate",
                              "needs the one-child parents' certificate (光荣证)",
                              lambda f: f.family_type == "two_daughters"
                              or f.holds_one_child_certificate),
    "gave_up_second_child": ("gave_up_second_child",
                             "has not given up a permitted second birth",
                             lambda f: f.gave_up_second_child),
    "complication": ("complication_grade", "no certified complication",
                     lambda f: f.complication_grade is not None),
    "enrolled": ("enrolled", "not enrolled at school", lambda f: f.enrolled),
    "good_grades": ("good_grades", "not certified for good conduct and grades",
                    lambda f: f.good_grades),
    "hardship": ("in_hardship", "household not in hardship", lambda f: f.in_hardship),
    "rural_pension": ("enrolled_in_rural_pension", "not enrolled in the rural pension scheme",
                      lambda f: f.enrolled_in_rural_pension),
    "minimum_living_allowance": ("on_minimum_living_allowance",
                                 "not on the minimum living allowance",
                                 lambda f: f.on_minimum_living_allowance),
}

_FAMILY = ("family_type", "children")  # the type is confirmed by the children it names
_CONTRACEPTION = ("contraception_method", "contraception_since")


def _criteria_reads(criteria: Criteria) -> set[str]:
    reads = {"applicant"}  # age, sex and death: the resident ID and the death register
    if criteria.residence != "any":
        reads.add("residence")
    if "any" not in criteria.family_types:
        reads.update(_FAMILY)
    if criteria.beneficiary != "any":
        reads.add("applicant_role")
    if criteria.child_age_below is not None:
        reads.update(_FAMILY)
    if criteria.contraception is not None:
        reads.update(_CONTRACEPTION)
    reads.update(_REQUIREMENTS[r][0] for r in criteria.requires)
    return reads


def _rule_reads(rule: CategoryRule) -> set[str]:
    reads: set[str] = set()
    if rule.family_types is not None or rule.disability_grades is not None:
        reads.update(_FAMILY)
    if rule.complication_grades is not None:
        reads.add("complication_grade")
    if rule.school_levels is not None:
        reads.add("school_level")
    if rule.contraception is not None:
        reads.update(_CONTRACEPTION)
    return reads


def facts_read(version: PolicyVersion) -> tuple[str, ...]:
    """The household facts (`HouseholdFacts` field names) that `evaluate` reads for this
    version: its criteria and every category rule (the category is found among all of
    them). An application must state each of them; none has a default that counts."""
    reads = _criteria_reads(version.eligibility)
    for benefit in version.benefits:
        if benefit.when is not None:
            reads |= _rule_reads(benefit.when)
    order = list(HouseholdFacts.model_fields)
    return tuple(sorted(reads, key=order.index))


def missing_facts(version: PolicyVersion, facts: HouseholdFacts | None) -> list[str]:
    """The facts this version reads that the application does not state: those not given
    explicitly (a default is not a statement); without facts, all of them and those every
    statement of facts has (residence, family type)."""
    order = list(HouseholdFacts.model_fields)
    if facts is None:
        needed = set(facts_read(version)) | {
            name for name, info in HouseholdFacts.model_fields.items() if info.is_required()}
        return sorted(needed, key=order.index)
    return [name for name in facts_read(version) if name not in facts.model_fields_set]


def unmet_conditions(criteria: Criteria, facts: HouseholdFacts, on: date) -> list[str]:
    """The conditions (other than dates) that the facts do not meet."""
    reasons = []
    if criteria.residence != "any" and facts.residence != criteria.residence:
        reasons.append(f"residence must be {criteria.residence}")
    if "any" not in criteria.family_types and facts.family_type not in criteria.family_types:
        reasons.append(f"family type {facts.family_type} does not qualify")
    if criteria.beneficiary != "any" and facts.applicant_role != criteria.beneficiary:
        reasons.append(f"the applicant must be a {criteria.beneficiary}")
    if criteria.applicant_sex is not None and facts.applicant.sex != criteria.applicant_sex:
        reasons.append(f"the applicant must be {criteria.applicant_sex}")
    if criteria.contraception is not None and not _method_ok(criteria.contraception, facts):
        reasons.append(f"no {criteria.contraception} contraceptive method in place")
    for requirement in criteria.requires:
        _fact, reason, holds = _REQUIREMENTS[requirement]
        if not holds(facts):
            reasons.append(reason)
    if facts.applicant.died_on is not None and facts.applicant.died_on <= on:
        reasons.append("the applicant has died")
    return reasons


def _method_ok(required: ContraceptionMethod, facts: HouseholdFacts) -> bool:
    return facts.contraception_method == required or facts.contraception_method == "sterilization"


def entitlement_window(criteria: Criteria, facts: HouseholdFacts, on: date
                       ) -> tuple[date, date | None]:
    """First day owed and first day no longer owed, from the dated conditions."""
    birth = facts.applicant.birth_date
    starts = []
    if criteria.min_age is not None:
        starts.append(apply_rule(criteria.age_start, reaches_age(birth, criteria.min_age)))
    if criteria.contraception is not None and facts.contraception_since is not None:
        starts.append(apply_rule(criteria.contraception_start, facts.contraception_since))
    starts_on = max(starts, default=on)
    ends = []
    if criteria.max_age is not None:
        ends.append(apply_rule(criteria.age_end, reaches_age(birth, criteria.max_age)))
    child = facts.only_child()
    if criteria.child_age_below is not None and child is not None:
        ends.append(apply_rule(criteria.child_age_end,
                               reaches_age(child.birth_date, criteria.child_age_below)))
    if facts.applicant.died_on is not None:
        ends.append(apply_rule("month_after", facts.applicant.died_on))
    return starts_on, min(ends, default=None)


def category_of(version: PolicyVersion, facts: HouseholdFacts) -> str | None:
    """The one benefit category the facts fall in, or None; two would be a catalogue error."""
    matching = [b.category for b in version.benefits if b.when is None or b.when.matches(facts)]
    if len(matching) > 1:
        raise ValueError(f"{version.program_code}/{version.version}: facts fall in "
                         f"several categories {matching}")
    return matching[0] if matching else None


def evaluate(version: PolicyVersion, facts: HouseholdFacts, on: date,
             claimed_category: str | None = None) -> Assessment:
    """Assess one applicant under one version on one day. A claimed category that the
    version does not have raises KeyError; one the facts do not support is a reason."""
    if claimed_category is not None:
        version.benefit(claimed_category)
    criteria = version.eligibility
    reasons = unmet_conditions(criteria, facts, on)
    category = category_of(version, facts)
    if category is None:
        reasons.append(f"the facts fit no category of {version.program_code}/{version.version}")
    elif claimed_category is not None and claimed_category != category:
        reasons.append(f"the facts fit category {category}, not {claimed_category}")
    if reasons:
        return Assessment(program_code=version.program_code, version=version.version,
                          eligible=False, category=category, starts_on=None, ends_on=None,
                          reasons=reasons)
    starts_on, ends_on = entitlement_window(criteria, facts, on)
    if ends_on is not None and ends_on <= starts_on:
        reasons.append(f"the benefit ends ({ends_on}) before it would start ({starts_on})")
    elif on < starts_on:
        reasons.append(f"owed from {starts_on}")
    elif ends_on is not None and on >= ends_on:
        reasons.append(f"no longer owed from {ends_on}")
    return Assessment(program_code=version.program_code, version=version.version,
                      eligible=not reasons, category=category, starts_on=starts_on,
                      ends_on=ends_on, reasons=reasons)


def first_month_owed(version: PolicyVersion, facts: HouseholdFacts, on: date) -> date | None:
    """First day of the first month anything is owed (the month `starts_on` falls in), or
    None when the facts never qualify. Disbursement pays a period a certification covers
    any day of, so this is also the month a certification from `starts_on` is first paid."""
    assessment = evaluate(version, facts, on)
    if assessment.starts_on is None:
        return None
    if assessment.ends_on is not None and assessment.ends_on <= assessment.starts_on:
        return None
    return assessment.starts_on.replace(day=1)
