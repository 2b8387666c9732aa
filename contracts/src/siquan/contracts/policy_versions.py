"""Policy versions after the seed: small versions (what changed over the version in force)
and the catalogue that layers the published ones over the seed files.

A small version names a program, its own label, the day it takes effect and its legal
citation, and only the fields it changes (`PolicyChanges`): one category's amount, one or
two fiscal shares, the notice days, the criteria... It is resolved against its *base*, the
version in force for its scope on its effective day, into a whole `PolicyVersion` with the
base's scope, frequency and payee (`amend`). The policy register resolves it once, when the
second officer approves; what it publishes carries both the changes and the resolved
version, so a service applies a version without knowing the register's history.

Layering (`layered`): the catalogue is the seed plus every published version, as a set
keyed by (program, label). A version received twice is kept once; the order in which
versions arrive changes nothing, since which version is in force on a day depends only on
the versions' scopes and effective days (`PolicyCatalogue.in_force`: the latest start of
the most specific scope wins). A label already in the seed, or one published again with
other content, is refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from siquan.contracts.base import StrictPart
from siquan.contracts.criteria import Criteria
from siquan.contracts.policy import (
    Citation,
    PolicyCatalogue,
    PolicyVersion,
    install,
    seed_catalogue,
)
from siquan.contracts.types import Fen

FiscalLevel = Literal["central", "provincial", "municipal", "county"]


class PolicyChanges(StrictPart):
    """The fields a small version changes over its base; every field left out is the
    base's. Fiscal shares may be given one level at a time (the whole must still add up to
    10000 basis points); amounts by benefit category."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    amounts_fen: Mapping[str, Fen] | None = Field(
        default=None, description="New amount per payee per period, by benefit category",
        examples=[{"death": 21000}])
    fiscal_shares: Mapping[FiscalLevel, int] | None = Field(
        default=None, description="New share of some fiscal levels, in basis points",
        examples=[{"central": 6000, "county": 500}])
    eligibility: Criteria | None = Field(default=None, description="New criteria (whole)")
    notice_days: int | None = Field(default=None, ge=0, description="New notice days")
    effective_until: date | None = Field(default=None, description="New last day (excl.)")
    name_zh: str | None = Field(default=None, min_length=1, description="New Chinese name")
    name_en: str | None = Field(default=None, min_length=1, description="New English name")
    offset_allowed: bool | None = Field(
        default=None, description="Whether an overpayment may now be offset against a later "
                                  "entitlement of the same household")

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if not self.model_dump(exclude_none=True):
            raise ValueError("a version changes at least one field of the version in force")
        return self

    def changed_fields(self) -> tuple[str, ...]:
        return tuple(sorted(self.model_dump(exclude_none=True)))


class VersionRefused(ValueError):
    """A small version that cannot be resolved or layered; the message is the reason."""


def amend(base: PolicyVersion, changes: PolicyChanges, *, version: str,
          effective_from: date, citation: Citation) -> PolicyVersion:
    """The whole version a small one makes of its base (`VersionRefused` with the reason
    when the result is not a valid version or the change changes nothing)."""
    if effective_from <= base.effective_from:
        raise VersionRefused(f"{base.program_code}: a new version must take effect after "
                             f"{base.version} ({base.effective_from})")
    fields = base.model_dump()
    fields.update(version=version, effective_from=effective_from, citation=citation)
    if changes.amounts_fen is not None:
        fields["benefits"] = _amended_benefits(base, changes.amounts_fen)
    if changes.fiscal_shares is not None:
        fields["fiscal_shares"] = {**base.fiscal_shares.model_dump(), **changes.fiscal_shares}
    for name in ("eligibility", "notice_days", "effective_until", "name_zh", "name_en",
                 "offset_allowed"):
        value = getattr(changes, name)
        if value is not None:
            fields[name] = value.model_dump() if isinstance(value, BaseModel) else value
    try:
        amended = PolicyVersion.model_validate(fields)
    except ValidationError as exc:
        raise VersionRefused(_reasons(exc)) from exc
    if _same_rules(amended, base):
        raise VersionRefused(f"the changes leave {base.version} as it is")
    return amended


def _amended_benefits(base: PolicyVersion, amounts: Mapping[str, int]) -> list[dict[str, object]]:
    known = {b.category for b in base.benefits}
    unknown = sorted(set(amounts) - known)
    if unknown:
        raise VersionRefused(f"{base.program_code}/{base.version} has no category "
                             f"{', '.join(unknown)} (it has {', '.join(sorted(known))})")
    if not base.pays_cash:
        raise VersionRefused(f"{base.program_code} pays no cash: it has no amounts to change")
    return [{**b.model_dump(), "amount_fen": amounts.get(b.category, b.amount_fen)}
            for b in base.benefits]


def _same_rules(a: PolicyVersion, b: PolicyVersion) -> bool:
    ignore = {"version", "effective_from", "citation"}
    return a.model_dump(exclude=ignore) == b.model_dump(exclude=ignore)


def _reasons(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'version'}: {e['msg']}"
                     for e in exc.errors(include_url=False, include_input=False))


def layered(seed: PolicyCatalogue, published: Iterable[PolicyVersion]) -> PolicyCatalogue:
    """The seed with the published versions over it (see the module's rules)."""
    seeded = {(v.program_code, v.version) for v in seed.versions}
    kept: dict[tuple[str, str], PolicyVersion] = {}
    for version in published:
        key = (version.program_code, version.version)
        if key in seeded:
            raise VersionRefused(f"{key[0]}/{key[1]} is a seed version; it cannot be "
                                 "published again")
        if key in kept and kept[key] != version:
            raise VersionRefused(f"{key[0]}/{key[1]} was published with other content")
        kept[key] = version
    ordered = sorted(kept.values(), key=lambda v: (v.program_code, v.effective_from,
                                                   v.version))
    try:
        return PolicyCatalogue(versions=(*seed.versions, *ordered))
    except ValidationError as exc:
        raise VersionRefused(_reasons(exc)) from exc


def apply_published(published: Iterable[PolicyVersion]) -> PolicyCatalogue:
    """Layer these published versions over the seed and make the result the catalogue
    this process applies (`load_catalogue`); `VersionRefused` leaves it as it was."""
    catalogue = layered(seed_catalogue(), published)
    install(catalogue)
    return catalogue


__all__ = ["FiscalLevel", "PolicyChanges", "VersionRefused", "amend", "apply_published",
           "layered"]
