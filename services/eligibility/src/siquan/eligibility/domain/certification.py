"""The certification aggregate: what the county granted, for which confirmation year, and
every change after it (renewed, suspended, reinstated, lapsed, revoked), each with its
reason, effective date and actor.

A certification is valid to the end of its confirmation year (`valid_until`, 31 December)
and must be re-confirmed for the next year (年度资格确认). Renewal opens on 1 October and
closes at the deadline, `valid_until` plus the grace days; a certification not renewed by
then lapses from the day after the deadline (the grace keeps the benefit owed while the
re-confirmation is under way). Death revokes from the first day of the month after it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from siquan.contracts.periods import first_day_of_next_month
from siquan.eligibility.domain.errors import Refused

CertificationStatus = Literal["active", "suspended", "lapsed", "revoked"]
ChangeKind = Literal["renewed", "suspended", "reinstated", "lapsed", "revoked"]
LIVE: tuple[CertificationStatus, ...] = ("active", "suspended")
RENEWAL_OPENS = (10, 1)


def year_end(day: date) -> date:
    return date(day.year, 12, 31)


def renewal_deadline(valid_until: date, grace_days: int) -> date:
    return valid_until + timedelta(days=grace_days)


def first_valid_until(effective_from: date, approved_on: date) -> date:
    """A new certification is valid to the end of the later of its start and its approval
    year."""
    return year_end(max(effective_from, approved_on))


@dataclass(frozen=True)
class Change:
    """One transition, as it goes into the history and onto the wire."""

    kind: ChangeKind
    status_from: CertificationStatus
    status_to: CertificationStatus
    effective_from: date
    reason: str
    actor: str
    valid_until: date | None = None
    date_of_death: date | None = None
    """Set on a revocation for a reported death: what other services act on."""
    method: str | None = None
    """Set on a renewal: how the person was re-confirmed (`reconfirmation.Method`)."""
    evidence_reference: str | None = None
    """Optionally on a renewal: the evidence the re-confirmation rests on."""


@dataclass
class Certification:
    id: str
    application_id: str
    program_code: str
    category: str
    policy_version: str
    person_key: str
    division_code: str
    township_code: str | None
    effective_from: date
    valid_until: date
    status: CertificationStatus = "active"

    @property
    def live(self) -> bool:
        return self.status in LIVE

    def _apply(self, change: Change) -> Change:
        self.status = change.status_to
        if change.valid_until is not None:
            self.valid_until = change.valid_until
        return change

    def renew(self, year: int, today: date, grace_days: int, actor: str, *, method: str,
              evidence_reference: str | None = None) -> Change:
        if not self.live:
            raise Refused(f"certification {self.id} is {self.status} and cannot be renewed")
        if self.valid_until.year >= year:
            raise Refused(f"certification {self.id} is already valid until "
                          f"{self.valid_until}")
        if self.valid_until.year != year - 1:
            raise Refused(f"certification {self.id} is valid until {self.valid_until}; it "
                          f"can be renewed only for {self.valid_until.year + 1}")
        opens = date(year - 1, *RENEWAL_OPENS)
        deadline = renewal_deadline(self.valid_until, grace_days)
        if not opens <= today <= deadline:
            raise Refused(f"renewal for {year} is open from {opens} to {deadline}, "
                          f"not on {today}")
        return self._apply(Change("renewed", self.status, self.status,
                                  self.valid_until + timedelta(days=1),
                                  f"re-confirmed for {year} ({method})", actor,
                                  date(year, 12, 31), method=method,
                                  evidence_reference=evidence_reference))

    def lapse_if_due(self, today: date, grace_days: int) -> Change | None:
        deadline = renewal_deadline(self.valid_until, grace_days)
        if not self.live or today <= deadline:
            return None
        return self._apply(Change("lapsed", self.status, "lapsed",
                                  deadline + timedelta(days=1),
                                  f"not re-confirmed by the deadline {deadline}", "system"))

    def suspend(self, effective_from: date, reason: str, actor: str) -> Change:
        if self.status != "active":
            raise Refused(f"certification {self.id} is {self.status}; only an active one "
                          "can be suspended")
        return self._apply(Change("suspended", "active", "suspended",
                                  max(effective_from, self.effective_from), reason, actor))

    def reinstate(self, effective_from: date, reason: str, actor: str) -> Change:
        if self.status != "suspended":
            raise Refused(f"certification {self.id} is {self.status}; only a suspended one "
                          "can be reinstated")
        return self._apply(Change("reinstated", "suspended", "active",
                                  max(effective_from, self.effective_from), reason, actor))

    def revoke(self, effective_from: date, reason: str, actor: str) -> Change:
        if not self.live:
            raise Refused(f"certification {self.id} is already {self.status}")
        if not reason.strip():
            raise Refused("a revocation needs a reason")
        return self._apply(Change("revoked", self.status, "revoked",
                                  max(effective_from, self.effective_from), reason, actor))

    def reinstate_after_death_corrected(self, revoked_from: date, reason: str, actor: str
                                        ) -> Change | None:
        """A death recorded in error: the certification it revoked is active again from
        the day the revocation took effect, as if never revoked; None when it is not
        revoked (nothing to reinstate)."""
        if self.status != "revoked":
            return None
        return self._apply(Change("reinstated", "revoked", "active", revoked_from, reason,
                                  actor))

    def revoke_for_death(self, date_of_death: date) -> Change | None:
        """Benefits end from the first day of the month after death; None when the
        certification has already ended."""
        if not self.live:
            return None
        change = self.revoke(first_day_of_next_month(date_of_death),
                             f"death reported (died {date_of_death})", "system")
        return replace(change, date_of_death=date_of_death)
