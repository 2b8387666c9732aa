"""The policy catalogue: program rules as versioned data files, validated here.

Each file under `policies/<program_code>/<version>.toml` is one version of one program.
Amounts are integer fen per person per payment period. No service changes an amount at
run time: the amount owed for a period is the one in the version in force on the period's
first day.
"""

from __future__ import annotations

import tomllib
from datetime import date
from functools import cache
from importlib import resources
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from siquan.contracts.types import Fen

Frequency = Literal["monthly", "yearly", "semester", "one_off"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Citation(_Frozen):
    document: str = Field(description="Source document (file in the seeds or its title)")
    clause: str = Field(description="The clause or sentence the figures come from")


class Benefit(_Frozen):
    category: str = Field(description="Benefit category, e.g. death / disability")
    label_zh: str = Field(description="The category's Chinese name")
    amount_fen: Fen = Field(description="Amount per person per payment period, in fen")


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


class Eligibility(_Frozen):
    residence: Literal["rural", "urban", "any"] = Field(description="Household registration")
    family_types: tuple[str, ...] = Field(description="Qualifying family types")
    min_age: int | None = Field(default=None, ge=0, description="Benefit starts at this age")
    max_age: int | None = Field(default=None, ge=0, description="Benefit ends at this age")
    start_rule: str = Field(description="When the benefit starts")
    end_rule: str = Field(description="When the benefit ends")


class PolicyVersion(_Frozen):
    program_code: str = Field(pattern=r"^[a-z][a-z0-9_]{2,63}$")
    version: str = Field(description="Version label, unique within the program")
    name_zh: str
    name_en: str
    effective_from: date
    effective_until: date | None = None
    frequency: Frequency
    notice_days: int = Field(ge=0, description="Days the public notice must stay posted")
    eligibility: Eligibility
    benefits: tuple[Benefit, ...] = Field(min_length=1)
    fiscal_shares: FiscalShares
    citation: Citation

    def benefit(self, category: str) -> Benefit:
        for benefit in self.benefits:
            if benefit.category == category:
                return benefit
        raise KeyError(f"{self.program_code} has no category {category!r}")

    def in_force_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_until is None or day < self.effective_until
        )


class PolicyCatalogue(_Frozen):
    versions: tuple[PolicyVersion, ...]

    def programs(self) -> tuple[str, ...]:
        return tuple(sorted({v.program_code for v in self.versions}))

    def version(self, program_code: str, version: str) -> PolicyVersion:
        for candidate in self.versions:
            if candidate.program_code == program_code and candidate.version == version:
                return candidate
        raise KeyError(f"no policy {program_code} version {version}")

    def in_force(self, program_code: str, on: date) -> PolicyVersion:
        """The version of a program in force on a day; KeyError when none is."""
        matches = [v for v in self.versions
                   if v.program_code == program_code and v.in_force_on(on)]
        if not matches:
            raise KeyError(f"no version of {program_code} is in force on {on}")
        return max(matches, key=lambda v: v.effective_from)


def period_start(period: str) -> date:
    """First day of a period string (YYYY, YYYY-MM, YYYY-S1/S2, YYYY-O<n>)."""
    year = int(period[:4])
    rest = period[5:]
    if not rest or rest.startswith("O"):
        return date(year, 1, 1)
    if rest == "S1":
        return date(year, 3, 1)
    if rest == "S2":
        return date(year, 9, 1)
    return date(year, int(rest), 1)


def period_matches(frequency: Frequency, period: str) -> bool:
    rest = period[5:]
    return {
        "yearly": rest == "",
        "monthly": rest.isdigit(),
        "semester": rest in ("S1", "S2"),
        "one_off": rest.startswith("O"),
    }[frequency]


def _read_packaged() -> list[PolicyVersion]:
    root = resources.files("siquan.contracts") / "policies"
    found = []
    for program in sorted(root.iterdir(), key=lambda p: p.name):
        if not program.is_dir():
            continue
        for entry in sorted(program.iterdir(), key=lambda p: p.name):
            if entry.name.endswith(".toml"):
                found.append(PolicyVersion.model_validate(tomllib.loads(entry.read_text("utf-8"))))
    return found


@cache
def load_catalogue() -> PolicyCatalogue:
    """The catalogue shipped with the contracts package, validated once per process."""
    return PolicyCatalogue(versions=tuple(_read_packaged()))
