"""The facts about a household that eligibility criteria are evaluated against.

An application states these facts; village, township and county check them (survey,
community review, re-check). The criteria in the policy catalogue read nothing else, so an
assessment can be repeated from the facts alone. No names or ID numbers live here: the
facts describe a person, they do not identify one.

Conventions:
- the *applicant* is the person to be certified (and paid): a parent for most programs, a
  child for the girls' programs (`applicant_role = "child"`; the applicant is then also one
  of `children`);
- `family_type` is the household's type as confirmed by the family-planning records, and
  must agree with `children`: `one_child` has one living, non-disabled child,
  `only_child_died` one child who died, `only_child_disabled` one disabled child,
  `two_daughters` two daughters; `other` is any other household (it qualifies for nothing
  that names a family type);
- disability grades follow GB/T 26341 (grade 1 is the most severe, grade 4 the least), so
  "grade 3 and above" (三级及以上) means grades 1-3; complication grades run 1-3 the same
  way (一级 most severe).
"""

from __future__ import annotations

from datetime import date
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

FamilyType = Literal["one_child", "two_daughters", "only_child_died", "only_child_disabled",
                     "other"]
Sex = Literal["female", "male"]
Residence = Literal["rural", "urban"]
SchoolLevel = Literal["none", "primary", "middle", "high", "college"]
ContraceptionMethod = Literal["long_term", "sterilization"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Person(_Frozen):
    birth_date: date = Field(description="Date of birth (from the resident ID)")
    sex: Sex = Field(description="Sex as registered")
    died_on: date | None = Field(default=None, description="Date of death, when known")


class Child(Person):
    status: Literal["alive", "died", "disabled"] = Field(
        default="alive", description="alive, died, or disabled (holds a disability card)")
    disability_grade: int | None = Field(
        default=None, ge=1, le=4,
        description="GB/T 26341 grade, 1 most severe to 4; required when disabled")

    @model_validator(mode="after")
    def _grade_only_when_disabled(self) -> Self:
        if (self.status == "disabled") != (self.disability_grade is not None):
            raise ValueError("a disability grade is given exactly when the child is disabled")
        if (self.status == "died") != (self.died_on is not None):
            raise ValueError("died_on is given exactly when the child's status is died")
        return self


class HouseholdFacts(_Frozen):
    applicant: Person = Field(description="The person to be certified")
    applicant_role: Literal["parent", "child"] = Field(
        default="parent", description="Whether the applicant is a parent or a child")
    residence: Residence = Field(description="Household registration (户籍): rural or urban")
    family_type: FamilyType = Field(description="The household's family-planning type")
    spouse: Person | None = Field(
        default=None, description="The applicant's spouse (informational: each spouse applies "
                                  "separately for per-person benefits)")
    children: tuple[Child, ...] = Field(default=(), description="All children of the couple")
    holds_one_child_certificate: bool = Field(
        default=False, description="Holds the one-child parents' certificate (光荣证)")
    contraception_method: ContraceptionMethod | None = Field(
        default=None, description="Long-term method (长效节育措施) or sterilization (绝育)")
    contraception_since: date | None = Field(
        default=None, description="Day the method was put in place")
    gave_up_second_child: bool = Field(
        default=False, description="Gave up a permitted second birth (放弃政策内二孩)")
    complication_grade: int | None = Field(
        default=None, ge=1, le=3,
        description="Grade of a certified complication of a family-planning operation, 1-3")
    school_level: SchoolLevel | None = Field(
        default=None, description="The applicant's school level (child applicants)")
    enrolled: bool = Field(default=False, description="Currently enrolled at that level")
    good_grades: bool = Field(default=False, description="Good conduct and grades (品学兼优)")
    in_hardship: bool = Field(default=False, description="Household in hardship (家庭困难)")
    on_minimum_living_allowance: bool = Field(
        default=False, description="Household receives the minimum living allowance (低保)")
    enrolled_in_rural_pension: bool = Field(
        default=False, description="Applicant is enrolled in the rural pension scheme (新农保)")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        problem = _family_problem(self.family_type, self.children)
        if problem:
            raise ValueError(problem)
        if (self.contraception_method is None) != (self.contraception_since is None):
            raise ValueError("contraception_method and contraception_since go together")
        if self.applicant_role == "child" and not any(
                c.birth_date == self.applicant.birth_date and c.sex == self.applicant.sex
                for c in self.children):
            raise ValueError("a child applicant must be one of the household's children")
        return self

    def only_child(self) -> Child | None:
        """The only child of a one-child household (alive, died or disabled)."""
        return self.children[0] if len(self.children) == 1 else None

    def disabled_child_grade(self) -> int | None:
        disabled = [c.disability_grade for c in self.children if c.status == "disabled"]
        return disabled[0] if len(disabled) == 1 else None


_SINGLE_CHILD_STATUS = {"one_child": "alive", "only_child_died": "died",
                        "only_child_disabled": "disabled"}


def _family_problem(family_type: FamilyType, children: tuple[Child, ...]) -> str | None:
    if family_type in _SINGLE_CHILD_STATUS:
        status = _SINGLE_CHILD_STATUS[family_type]
        if len(children) != 1 or children[0].status != status:
            return f"a {family_type} household has exactly one child, whose status is {status}"
    if family_type == "two_daughters" and (
            len(children) != 2 or any(c.sex != "female" for c in children)):
        return "a two_daughters household has exactly two children, both daughters"
    return None
