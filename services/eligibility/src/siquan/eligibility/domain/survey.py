"""A township's survey (摸底调查) as rows of text: each row is validated on its own, a bad
row is reported by its row number and field, and the good rows go on. Row numbers are the
spreadsheet's: the header is row 1, the first application row 2.

Columns: resident_id, name, program_code, category, division_code (the county's 6 digits
or the township's 9), eligible_from (YYYY-MM-DD); optionally the household facts:
residence (rural|urban), family_type, children (see `household.parse_children`),
one_child_certificate (yes|no) and applicant_role (parent|child; a survey row is a
parent's unless it says child). Facts are recorded when family_type is given. A row
without a fact its program's criteria need is refused with that column named, as the
API refuses an incomplete application.

A row for a member of a registered household is taken as an application is: assessed on
the register's facts when it states none, refused (naming the facts that differ) when it
states facts the register does not hold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from siquan.contracts.household import HouseholdFacts
from siquan.contracts.policy import PolicyCatalogue
from siquan.contracts.types import ProgramCode, ResidentId
from siquan.eligibility.domain.divisions import split_division
from siquan.eligibility.domain.errors import InvalidRequest
from siquan.eligibility.domain.household import (
    BAD_BIRTH_DATE,
    MISSING,
    applicant_from_id,
    assess,
    parse_children,
)

REQUIRED = ("resident_id", "name", "program_code", "category", "division_code",
            "eligible_from")
FACT_COLUMNS = ("residence", "family_type", "children", "one_child_certificate",
                "applicant_role")
_COLUMN_OF_FACT = {"holds_one_child_certificate": "one_child_certificate"}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    error: str


@dataclass(frozen=True)
class SurveyEntry:
    row: int
    resident_id: str
    name: str
    program_code: str
    category: str
    division_code: str
    township_code: str | None
    eligible_from: date
    facts: HouseholdFacts | None


class _Row(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    resident_id: ResidentId
    name: str = Field(min_length=1, max_length=50)
    program_code: ProgramCode
    category: str = Field(min_length=1)
    division_code: str
    eligible_from: date

    @field_validator("division_code")
    @classmethod
    def _division(cls, value: str) -> str:
        split_division(value)
        return value


def missing_columns(header: Iterable[str]) -> list[str]:
    present = set(header)
    return [column for column in REQUIRED if column not in present]


class RegisterFacts(Protocol):
    def __call__(self, resident_id: str, stated: HouseholdFacts | None
                 ) -> HouseholdFacts | None:
        """The facts an applicant is assessed on, from their resident ID and the facts
        stated (the household register's for a registered member); InvalidRequest when
        they differ."""

    def member(self, resident_id: str) -> bool:
        """Whether the resident is a member of a registered household."""


def read_row(number: int, raw: Mapping[str, str], catalogue: PolicyCatalogue,
             registered: RegisterFacts | None = None) -> SurveyEntry | list[RowError]:
    """One row as an entry, or every problem found in it."""
    try:
        row = _Row.model_validate({k: raw.get(k, "") for k in REQUIRED})
    except ValidationError as exc:
        return [RowError(number, str(e["loc"][0]), e["msg"]) for e in exc.errors()]
    facts = _facts(number, row.resident_id, raw)
    if isinstance(facts, list):
        return facts
    if registered is not None:
        try:
            facts = registered(row.resident_id, facts)
        except InvalidRequest as exc:
            fields = [e["field"] for e in exc.errors or []]
            return [RowError(number, _column(fields[0]) if fields else "resident_id",
                             str(exc))]
    county, township = split_division(row.division_code)
    problems = assess(catalogue, row.program_code, row.category, row.eligible_from, county,
                      facts, row.resident_id, in_register=(
                          None if registered is None else registered.member(row.resident_id)))
    # a survey row is a parent's unless it says otherwise: its role is never missing
    problems = [(f, m) for f, m in problems if (f, m) != ("household.applicant_role", MISSING)]
    if problems:
        return [RowError(number, _column(field), message) for field, message in problems]
    return SurveyEntry(number, row.resident_id, row.name, row.program_code, row.category,
                       county, township, row.eligible_from, facts)


def facts_of(resident_id: str, raw: Mapping[str, str]
             ) -> HouseholdFacts | list[tuple[str, str]] | None:
    """The household facts the survey's fact columns state (a form with the same fields
    reads them the same way): None without a family type, else the facts or each
    problem as (field, message)."""
    found = _facts(0, resident_id, raw)
    if isinstance(found, list):
        return [(e.field, e.error) for e in found]
    return found


def stated_facts(raw: Mapping[str, str]) -> dict[str, Any] | list[tuple[str, str]]:
    """The household facts the fact columns state, as JSON, each empty one stating
    nothing (what a change of category lays over the facts on record), or the problem
    reading the children as (field, message)."""
    try:
        stated = _stated(raw)
    except (ValidationError, ValueError) as exc:
        return [("children", _message(exc))]
    if "children" in stated:
        stated["children"] = [c.model_dump(mode="json") for c in stated["children"]]
    return stated


def _stated(raw: Mapping[str, str]) -> dict[str, Any]:
    """The fact columns that are filled in; ValidationError or ValueError when the
    children cannot be read."""
    stated: dict[str, Any] = {}
    for column in ("family_type", "residence", "applicant_role"):
        if value := (raw.get(column) or "").strip():
            stated[column] = value
    if children := (raw.get("children") or "").strip():
        stated["children"] = parse_children(children)
    certificate = (raw.get("one_child_certificate") or "").strip().lower()
    if certificate:  # an empty cell states nothing
        stated["holds_one_child_certificate"] = certificate in ("yes", "y", "1", "true", "是")
    return stated


def _facts(number: int, resident_id: str, raw: Mapping[str, str]
           ) -> HouseholdFacts | list[RowError] | None:
    if not (raw.get("family_type") or "").strip():
        return None
    try:
        stated = _stated(raw)
    except (ValidationError, ValueError) as exc:
        return [RowError(number, "children", _message(exc))]
    try:
        applicant = applicant_from_id(resident_id)
    except ValueError:
        return [RowError(number, "resident_id", BAD_BIRTH_DATE)]
    try:
        return HouseholdFacts.model_validate({
            "applicant": applicant, "residence": "", "children": [],
            "applicant_role": "parent", **stated})
    except ValidationError as exc:
        return [RowError(number, _fact_field(e), e["msg"]) for e in exc.errors()]


def _column(field: str) -> str:
    """The survey column of a problem's field (`household.<fact>` is the fact's column)."""
    fact = field.removeprefix("household.")
    return _COLUMN_OF_FACT.get(fact, fact)


def _fact_field(error: Mapping[str, object]) -> str:
    loc = error.get("loc") or ()
    first = str(loc[0]) if isinstance(loc, tuple) and loc else ""
    return first if first in FACT_COLUMNS else "family_type"


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(str(e["msg"]) for e in exc.errors())
    return "each child is sex:birth_date:status[:died_on|:grade], separated by ';'"
