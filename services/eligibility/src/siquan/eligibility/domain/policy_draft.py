"""A policy version in the register: drafted by one policy officer, approved by another,
and only then published (maker-checker). The draft holds what the officer wrote (the
changes over the version in force and the legal citation); approval resolves it against
the catalogue of that moment into a whole version (`policy_versions.amend`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from siquan.contracts.policy import Citation, PolicyVersion, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges, VersionRefused, amend, layered
from siquan.eligibility.domain.errors import InvalidRequest, Refused

SELF_APPROVAL = "the policy officer who drafted a version may not approve it"


@dataclass(frozen=True)
class PolicyDraft:
    version_id: str
    program_code: str
    version: str
    effective_from: date
    division_code: str | None
    changes: PolicyChanges
    citation: Citation
    drafted_by: str
    drafted_at: datetime
    status: str = "drafted"
    approved_by: str | None = None
    published_at: datetime | None = None
    base_version: str | None = None
    policy: PolicyVersion | None = None

    def resolve(self, published: list[PolicyVersion]) -> tuple[PolicyVersion, PolicyVersion]:
        """The version in force on its day (the base) and the whole version the changes
        make of it, layered over the seed and the published versions (422 with the reason
        when the result is not a valid version or the catalogue cannot take it)."""
        try:
            catalogue = layered(seed_catalogue(), published)
            base = catalogue.in_force(self.program_code, self.effective_from,
                                      self.division_code)
        except KeyError as exc:
            raise InvalidRequest(str(exc.args[0])) from exc
        try:
            amended = amend(base, self.changes, version=self.version,
                            effective_from=self.effective_from, citation=self.citation)
            layered(seed_catalogue(), [*published, amended])
        except VersionRefused as exc:
            raise InvalidRequest(str(exc)) from exc
        return base, amended

    def approve(self, officer_id: str, at: datetime, published: list[PolicyVersion]
                ) -> PolicyDraft:
        """Approved and published by another officer (409 otherwise)."""
        if self.status != "drafted":
            raise Refused(f"policy version {self.version} is already {self.status}")
        if officer_id == self.drafted_by:
            raise Refused(SELF_APPROVAL)
        base, policy = self.resolve(published)
        return replace(self, status="published", approved_by=officer_id, published_at=at,
                       base_version=base.version, policy=policy)
