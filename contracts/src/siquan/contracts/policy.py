"""The policy catalogue: program rules as versioned data files, validated here.

Each file under `policies/<program_code>/<version>.toml` is one version of one program: the
seed of the policy history. Versions published later (drafted and approved in
eligibility's policy register, distributed as `policy_version.published.v1`) are layered
over the seed by `siquan.contracts.policy_versions`; `load_catalogue` returns the result.
Amounts are integer fen per person (or per household, `paid_to`) per payment period. No
service changes an amount at run time: the amount owed for a period is the one in the
version in force on the period's first day.

A version may be scoped to a division (`division_scope`: a province `XX0000`, prefecture
`XXXX00` or county code): local governments raise standards (提标) by issuing their own
version. For a division, the most specific version in force wins (county over prefecture
over province over unscoped); without a division only unscoped versions count. Unscoped
versions are the baseline the catalogue applies everywhere; some come from a city's or a
county's document and say so in their citation notes.

Benefits are `cash` (an amount) or `preference` (non-cash: priority, points; amount 0 and
a `value` other agencies act on). Eligibility criteria and their evaluation live in
`siquan.contracts.criteria`; household facts in `siquan.contracts.household`.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from importlib import resources
from typing import Annotated, Literal, Self

from pydantic import ConfigDict, Field, ValidationError, model_validator

from siquan.contracts.base import StrictPart
from siquan.contracts.criteria import Assessment, CategoryRule, Criteria, evaluate
from siquan.contracts.household import HouseholdFacts
from siquan.contracts.periods import Frequency, period_matches, period_start
from siquan.contracts.types import Fen, division_scope, validate_division, validate_period

Eligibility = Criteria  # the name the `[eligibility]` table had before criteria were data


class _Frozen(StrictPart):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Citation(_Frozen):
    document: str = Field(description="Source document (file in the seeds or its title)")
    clause: str = Field(description="The clause or sentence the figures come from")
    notes: str = Field(default="", description="What is configuration rather than quotation")


EvidenceKind = Annotated[str, Field(
    pattern=r"^[a-z][a-z0-9_]{2,63}$",
    description="A kind of document kept on file, e.g. child_death_certificate",
    examples=["child_death_certificate"])]


class Benefit(_Frozen):
    category: str = Field(description="Benefit category, e.g. death / disability")
    label_zh: str = Field(description="The category's Chinese name")
    kind: Literal["cash", "preference"] = Field(default="cash", description="Cash or not")
    amount_fen: Fen = Field(description="Amount per payee per payment period, in fen")
    value: str | None = Field(default=None, description="What a preference grants")
    when: CategoryRule | None = Field(default=None, description="Who falls in the category")
    evidence: tuple[EvidenceKind, ...] = Field(
        default=(), description="Documents this category needs on file besides the version's")

    @model_validator(mode="after")
    def _kind_fits(self) -> Self:
        if self.kind == "cash" and (self.amount_fen <= 0 or self.value is not None):
            raise ValueError(f"cash benefit {self.category} needs an amount and no value")
        if self.kind == "preference" and (self.amount_fen != 0 or not self.value):
            raise ValueError(f"preference {self.category} has amount 0 and a value")
        return self


class FiscalShares(_Frozen):
    """Each fiscal level's share of the cost, in basis points (1/100 of a percent)."""

    central: int = Field(ge=0, le=10_000)
    provincial: int = Field(ge=0, le=10_000)
    municipal: int = Field(ge=0, le=10_000)
    county: int = Field(ge=0, le=10_000)

    @model_validator(mode="after")
    def _sum_to_whole(self) -> Self:
        if self.central + self.provincial + self.municipal + self.county != 10_000:
            raise ValueError("fiscal shares must add up to 10000 basis points")
        return self


class PolicyVersion(_Frozen):
    program_code: str = Field(pattern=r"^[a-z][a-z0-9_]{2,63}$")
    version: str = Field(description="Version label, unique within the program")
    name_zh: str
    name_en: str
    division_scope: str | None = Field(
        default=None, description="Division whose own version this is; None: unscoped")
    effective_from: date
    effective_until: date | None = None
    frequency: Frequency
    paid_to: Literal["each_person", "household"] = Field(
        default="each_person", description="Each certified person, or one per household")
    offset_allowed: bool = Field(
        default=False,
        description="An overpayment (a receivable) may be offset against a later "
                    "entitlement of the same household (the same person included)")
    notice_days: int = Field(ge=0, description="Days the public notice must stay posted")
    exclusive_with: tuple[str, ...] = Field(
        default=(), description="Programs a person certified in this one may not be "
                                "certified in at the same time (e.g. the contraception "
                                "reward ends where reward-and-assistance starts)")
    eligibility: Criteria
    evidence: tuple[EvidenceKind, ...] = Field(
        default=(), description="Documents every application needs on file before approval")
    benefits: tuple[Benefit, ...] = Field(min_length=1)
    fiscal_shares: FiscalShares
    citation: Citation

    @model_validator(mode="after")
    def _coherent(self) -> Self:
        if self.division_scope is not None:
            validate_division(self.division_scope)
        if self.effective_until is not None and self.effective_until <= self.effective_from:
            raise ValueError("effective_until must follow effective_from")
        categories = [b.category for b in self.benefits]
        if len(set(categories)) != len(categories):
            raise ValueError(f"duplicate categories in {self.program_code}/{self.version}")
        if len({b.kind for b in self.benefits}) != 1:
            raise ValueError("a version's benefits are all cash or all preferences")
        if len(self.benefits) > 1 and any(b.when is None for b in self.benefits):
            raise ValueError("with several categories each needs a `when` rule")
        return self

    @property
    def criteria(self) -> Criteria:
        return self.eligibility

    @property
    def pays_cash(self) -> bool:
        return self.benefits[0].kind == "cash"

    def benefit(self, category: str) -> Benefit:
        for benefit in self.benefits:
            if benefit.category == category:
                return benefit
        raise KeyError(f"{self.program_code} has no category {category!r}")

    def required_evidence(self, category: str) -> tuple[str, ...]:
        """The kinds of evidence an application in `category` must have on file before it
        is approved: the version's and the category's (KeyError: no such category)."""
        own = self.benefit(category).evidence
        return (*self.evidence, *(kind for kind in own if kind not in self.evidence))

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_until is None or day < self.effective_until
        )

    def specificity(self) -> int:
        """0 unscoped, 2 province, 4 prefecture, 6 county: the length of the code prefix."""
        return 0 if self.division_scope is None else len(division_scope(self.division_scope))

    def applies_to(self, division: str | None) -> bool:
        if self.division_scope is None:
            return True
        return division is not None and division.startswith(division_scope(self.division_scope))


class PolicyCatalogue(_Frozen):
    versions: tuple[PolicyVersion, ...]

    @model_validator(mode="after")
    def _unambiguous(self) -> Self:
        labels = [(v.program_code, v.version) for v in self.versions]
        if len(set(labels)) != len(labels):
            raise ValueError("a version label appears twice in one program")
        starts = [(v.program_code, v.division_scope, v.effective_from) for v in self.versions]
        if len(set(starts)) != len(starts):
            raise ValueError("two versions of a program start on the same day in one scope")
        for program in self.programs():
            kinds = {(v.pays_cash, v.paid_to) for v in self.versions if v.program_code == program}
            if len(kinds) != 1:
                raise ValueError(f"{program}: versions differ in cash/preference or paid_to")
        return self

    def exclusive_with(self, program_code: str) -> frozenset[str]:
        """The programs exclusive with `program_code`, as any version of either declares
        it (exclusion is mutual)."""
        return frozenset(
            {p for v in self.versions if v.program_code == program_code
             for p in v.exclusive_with}
            | {v.program_code for v in self.versions if program_code in v.exclusive_with})

    def per_household(self, program_code: str) -> bool:
        """Whether the program pays once per household (`paid_to = "household"`)."""
        return any(v.paid_to == "household" for v in self.versions
                   if v.program_code == program_code)

    def programs(self) -> tuple[str, ...]:
        return tuple(sorted({v.program_code for v in self.versions}))

    def cash_programs(self) -> tuple[str, ...]:
        """Programs that pay money (the ones with a special account and payment runs)."""
        return tuple(sorted({v.program_code for v in self.versions if v.pays_cash}))

    def version(self, program_code: str, version: str) -> PolicyVersion:
        for candidate in self.versions:
            if candidate.program_code == program_code and candidate.version == version:
                return candidate
        raise KeyError(f"no policy {program_code} version {version}")

    def in_force(self, program_code: str, on: date, division: str | None = None
                 ) -> PolicyVersion:
        """The version of a program in force on a day, the most specific one for the
        division (only unscoped versions without one); KeyError when none is."""
        matches = [v for v in self.versions if v.program_code == program_code
                   and v.in_force_on(on) and v.applies_to(division)]
        if not matches:
            where = f" for {division}" if division else ""
            raise KeyError(f"no version of {program_code} is in force on {on}{where}")
        return max(matches, key=lambda v: (v.specificity(), v.effective_from))

    def amount_for(self, program_code: str, category: str, period: str,
                   division: str | None = None) -> int:
        """Fen owed to one payee for one period: the version in force on the period's first
        day for the division. KeyError: no version or no such category; ValueError: a
        malformed period or one the version is not paid in."""
        validate_period(period)
        policy = self.in_force(program_code, period_start(period), division)
        if not period_matches(policy.frequency, period):
            raise ValueError(f"{program_code}/{policy.version} is paid {policy.frequency}, "
                             f"not for period {period}")
        return policy.benefit(category).amount_fen

    def assess(self, program_code: str, facts: HouseholdFacts, on: date,
               division: str | None = None, claimed_category: str | None = None
               ) -> Assessment:
        """Evaluate the facts under the version in force on `on` for the division."""
        return evaluate(self.in_force(program_code, on, division), facts, on, claimed_category)


def _read_packaged() -> list[PolicyVersion]:
    root = resources.files("siquan.contracts") / "policies"
    found = []
    for program in sorted(root.iterdir(), key=lambda p: p.name):
        if not program.is_dir():
            continue
        for entry in sorted(program.iterdir(), key=lambda p: p.name):
            if not entry.name.endswith(".toml"):
                continue
            try:
                version = PolicyVersion.model_validate(tomllib.loads(entry.read_text("utf-8")))
            except (ValidationError, tomllib.TOMLDecodeError) as exc:
                raise ValueError(f"policies/{program.name}/{entry.name}: {exc}") from exc
            if version.program_code != program.name:
                raise ValueError(f"policies/{program.name}/{entry.name} is for "
                                 f"{version.program_code}")
            found.append(version)
    return found


@cache
def seed_catalogue() -> PolicyCatalogue:
    """The catalogue shipped with the contracts package (the seed of the policy history),
    validated once per process."""
    return PolicyCatalogue(versions=tuple(_read_packaged()))


_installed: PolicyCatalogue | None = None


def load_catalogue() -> PolicyCatalogue:
    """The catalogue this process applies: the seed with the published versions it has
    received layered over it (`policy_versions.apply_published`), the seed alone until
    then. Read it at each use, never keep it: a published version replaces it."""
    return _installed if _installed is not None else seed_catalogue()


def install(catalogue: PolicyCatalogue | None) -> None:
    """Make `catalogue` the one `load_catalogue` returns (None: the seed alone)."""
    global _installed
    _installed = catalogue
