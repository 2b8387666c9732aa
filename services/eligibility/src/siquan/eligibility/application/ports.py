"""What eligibility's handlers need from storage, as one Protocol per repository, and the
unit of work that reaches them (`Work`). PostgreSQL implements them in `adapters/`; the
in-memory twins in `adapters/memory.py` run the same handlers in unit tests.

Reads that say "locked" take row locks (`FOR UPDATE`) in the unit's transaction, so two
instances working on the same application, notice or certification take turns; what they
return was read after the lock was granted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any, Protocol

from siquan.contracts.base import Event
from siquan.contracts.eligibility_v1 import PolicyVersionPublished
from siquan.contracts.policy import PolicyCatalogue, PolicyVersion
from siquan.eligibility.domain.application import Application, Status
from siquan.eligibility.domain.certification import Certification, Change
from siquan.eligibility.domain.death import Death
from siquan.eligibility.domain.household_register import Household, Member
from siquan.eligibility.domain.notice import PublicNotice
from siquan.eligibility.domain.policy_draft import PolicyDraft
from siquan.eligibility.settings import EligibilitySettings


@dataclass(frozen=True)
class Terms:
    """The service's settings its handlers apply."""

    person_key_secret: str
    renewal_grace_days: int = 31
    decision_deadline_days: int = 30
    max_batch: int = 50_000
    event_part_size: int = 500
    evidence_max_bytes: int = 10 * 1024 * 1024
    pseudonym_keys: Mapping[str, str] = field(default_factory=dict)
    """Each partner agency's pseudonym key (see `partners.projections`)."""
    renewal_grace_by_program: Mapping[str, int] = field(default_factory=dict)
    """A program's own grace days, where it differs from `renewal_grace_days`."""

    def grace_days(self, program_code: str) -> int:
        return self.renewal_grace_by_program.get(program_code, self.renewal_grace_days)

    @classmethod
    def of(cls, settings: EligibilitySettings) -> Terms:
        return cls(renewal_grace_days=settings.renewal_grace_days,
                   decision_deadline_days=settings.decision_deadline_days,
                   max_batch=settings.max_batch, event_part_size=settings.event_part_size,
                   evidence_max_bytes=settings.evidence_max_bytes,
                   person_key_secret=settings.person_key_secret,
                   pseudonym_keys=dict(settings.partner_pseudonym_keys),
                   renewal_grace_by_program=dict(settings.renewal_grace_days_by_program))


@dataclass(frozen=True)
class NewApplication:
    """An application as entered, with what is kept beside it (never published)."""

    application: Application
    resident_id: str
    facts: dict[str, Any] | None
    import_id: str | None = None


@dataclass(frozen=True)
class Holding:
    """A live application or certification a person holds."""

    person_key: str
    program_code: str
    kind: str
    id: str


@dataclass(frozen=True)
class Granted:
    """A certification as granted, with the officers who reviewed and approved it."""

    certification: Certification
    reviewed_by: str
    approved_by: str
    approved_at: datetime
    household_key: str | None = None
    """The household the person is a registered member of, when they are."""
    per_household: bool = False
    """The program pays once per household: one live certification per household."""
    ends: tuple[date | None, str | None] | None = None
    """Its end under the program's rules (day and reason, or none), assessed as it is
    granted; None: not assessed yet (the deadlines loop assesses it)."""


class Applications(Protocol):
    async def add(self, new: Sequence[NewApplication]) -> None:
        """Refused when a person would hold two live applications of one program."""

    async def get(self, application_id: str, *, for_update: bool = False) -> Application: ...

    async def get_many(self, ids: Sequence[str], *, for_update: bool = False
                       ) -> list[Application]:
        """In the order asked; NotFound names the first unknown id."""

    async def find_many(self, ids: Sequence[str], *, for_update: bool = False
                        ) -> dict[str, Application]:
        """Those of `ids` (canonical UUID text) that exist, by id; unknown ids are absent."""

    async def notices_of(self, ids: Sequence[str]) -> list[str]:
        """The notices these applications are posted on (not locked)."""

    async def in_notice(self, notice_id: str, status: Status) -> list[Application]:
        """Locked: a notice's entries in one status."""

    async def awaiting_notice(self, program_code: str, division: str, limit: int
                              ) -> list[Application]:
        """Locked: township-reviewed applications of a program in a division."""

    async def live_of_person(self, person_key: str) -> list[Application]:
        """Locked: a person's live applications, any program."""

    async def save(self, applications: Sequence[Application]) -> None: ...

    async def holdings(self, person_keys: Sequence[str]) -> list[Holding]:
        """Live applications and certifications of these people, any program."""

    async def applicants(self, ids: Sequence[str]
                         ) -> dict[str, tuple[date, dict[str, Any] | None]]:
        """What a program's end rules read of each application's applicant: the birth
        date in the resident ID and the household facts given (when any), by id."""


class Certifications(Protocol):
    async def add(self, granted: Sequence[Granted]) -> None:
        """Refused when a person would hold two live certifications of one program or an
        application two certifications."""

    async def get(self, certification_id: str, *, for_update: bool = False
                  ) -> Certification: ...

    async def get_many(self, ids: Sequence[str], *, for_update: bool = False
                       ) -> list[Certification]: ...

    async def live_of_person(self, person_key: str) -> list[Certification]:
        """Locked: a person's live certifications, any program."""

    async def due_to_lapse(self, today: date, grace_days: int,
                           grace_by_program: Mapping[str, int], limit: int
                           ) -> list[Certification]:
        """Locked, skipping those another unit holds: live ones whose renewal deadline
        (`valid_until` plus their program's grace days, `grace_days` unless
        `grace_by_program` names it) is before `today`."""

    async def record(self, changed: Sequence[tuple[Certification, Change]], at: datetime
                     ) -> None:
        """Each change's new status and its row in the history."""


@dataclass(frozen=True)
class EndToAssess:
    """A live certification whose program's end rules were not assessed yet (or must be
    again), with what they read: the resident ID's birth date and the application's
    household facts (when given; a registered household's facts are read from the
    register)."""

    certification: Certification
    birth_date: date
    facts: dict[str, Any] | None


class CertificationEnds(Protocol):
    """The ends a program's rules set for each certification."""

    async def to_assess(self, limit: int) -> list[EndToAssess]:
        """Locked, skipping those another unit holds."""

    async def schedule(self, ends: Sequence[tuple[str, date | None, str | None]]) -> None:
        """Keep each certification's end (day and reason, or none) as assessed."""

    async def due(self, today: date, limit: int) -> list[tuple[Certification, date, str]]:
        """Locked, skipping those another unit holds: live certifications whose scheduled
        end is `today` or earlier, with the end and its reason."""

    async def live_of_program(self, program_code: str, limit: int) -> list[Certification]:
        """Locked, skipping those another unit holds: the program's live certifications."""

    async def reassess(self, *, certification_ids: Sequence[str] = (),
                       program_code: str | None = None, person_keys: Sequence[str] = ()
                       ) -> None:
        """Have these live certifications' ends assessed again (what they read changed):
        those named, the program's, the people's. Until it is, no end is due for them."""


class Notices(Protocol):
    async def add(self, notice: PublicNotice, by: str, at: datetime) -> None: ...

    async def get(self, notice_id: str, *, for_update: bool = False) -> PublicNotice: ...

    async def due(self, today: date, limit: int) -> list[PublicNotice]:
        """Locked, skipping those another unit holds: open notices whose days are over."""

    async def close(self, notice: PublicNotice) -> list[str]:
        """Store a closed notice and move its posted entries to notice_closed; the ids of
        entries an open objection still blocks."""


class Objections(Protocol):
    async def file(self, complaint_id: str, application_id: str, filed_at: datetime) -> bool:
        """Record an open objection; False when this complaint is already known."""

    async def resolve(self, *, complaint_id: str, application_id: str, outcome: str,
                      resolution: str, by: str, at: datetime) -> None:
        """Close the objection, recording it first if its filing was never seen."""


class CommunityReviews(Protocol):
    async def add(self, *, review_id: str, scope: str, held_on: date, present: int,
                  passed: int, failed: int, by: str, at: datetime) -> None: ...


class SurveyImports(Protocol):
    async def add(self, *, import_id: str, filename: str, sha256: str, rows: int,
                  accepted: int, by: str, at: datetime) -> None: ...


@dataclass(frozen=True)
class NewEvidence:
    evidence_id: str
    application_id: str
    kind: str
    filename: str
    content_type: str
    content: bytes
    sha256: str
    by: str
    at: datetime


class Evidence(Protocol):
    async def add(self, *, evidence_id: str, application_id: str, kind: str, filename: str,
                  content_type: str, content: bytes, sha256: str, by: str, at: datetime
                  ) -> None: ...

    async def kinds_on_file(self, application_ids: Sequence[str]) -> dict[str, set[str]]:
        """The kinds of evidence kept for each application (absent: none)."""

    async def on_file(self, application_ids: Sequence[str]
                      ) -> dict[tuple[str, str, str], str]:
        """The evidence kept for these applications: (application, kind, sha256) → id."""

    async def add_many(self, rows: Sequence[NewEvidence]) -> None:
        """Keep every document in one statement."""


class Deaths(Protocol):
    async def record(self, death: Death, at: datetime, *, scope: DeathScope | None = None,
                     revoked: Sequence[str] = ()) -> None:
        """Keep a report (a repeated report id changes nothing) with the division whose
        holdings it ended (none: the division of the person's death on record, if any)
        and the certifications it revoked."""

    async def of(self, person_keys: Sequence[str]) -> dict[str, date]:
        """The earliest date of death on record (not corrected) of each of these
        people."""

    async def get(self, report_id: str, *, for_update: bool = False) -> RecordedDeath:
        """A death on record (NotFound when there is none under this id)."""

    async def of_person(self, person_key: str, *, for_update: bool = False
                        ) -> list[RecordedDeath]:
        """Every death on record of the person, corrected or not, oldest first."""

    async def correct(self, report_ids: Sequence[str], correction: DeathCorrection) -> None:
        """Mark these deaths corrected."""

    async def listed(self, *, division_prefix: str, died_from: date | None,
                     died_until: date | None, limit: int, offset: int
                     ) -> list[dict[str, Any]]:
        """The deaths whose division is within the prefix, by date of death then record
        time, with masked names and resident IDs only."""

    async def known(self, report_ids: Sequence[str]) -> set[str]:
        """Which of these report ids are on record."""

    async def lock_file(self, file_id: str) -> None:
        """Hold a death file's id until the unit ends (the same file sent twice at once is
        handled once)."""

    async def file_report(self, file_id: str) -> dict[str, Any] | None:
        """The report a death file received under this id was answered with."""

    async def keep_file(self, report: dict[str, Any], *, key_id: str, at: datetime
                        ) -> None:
        """Keep a death file's report (its id, digest, counts and per-line results)."""


@dataclass(frozen=True)
class DeathScope:
    division_code: str
    township_code: str | None = None


@dataclass(frozen=True)
class DeathCorrection:
    correction_id: str
    reason: str
    evidence_kind: str
    document_number: str
    by: str
    at: datetime


@dataclass(frozen=True)
class RecordedDeath:
    """A death on record with what it revoked, where it belongs and its correction."""

    death: Death
    recorded_at: datetime
    scope: DeathScope | None
    revoked: tuple[str, ...]
    correction: DeathCorrection | None = None


class Households(Protocol):
    """The household register (户籍/家庭): households, their members and shared facts."""

    async def add(self, household: Household, resident_ids: dict[str, str], *, by: str,
                  at: datetime) -> None:
        """Register a household with its members (`resident_ids` by person key); Refused
        when its number is registered already or a member is in another household."""

    async def get(self, household_id: str, *, for_update: bool = False) -> Household: ...

    async def by_number(self, household_number: str) -> Household | None: ...

    async def of_persons(self, person_keys: Sequence[str]) -> dict[str, Household]:
        """The household each of these people is a current member of (if any)."""

    async def add_member(self, household_id: str, member: Member, resident_id: str, *,
                         by: str, at: datetime) -> None:
        """Refused when the person is in another household or a second head is added."""

    async def remove_member(self, household_id: str, person_key: str, reason: str, *,
                            by: str, at: datetime) -> None: ...

    async def was_member(self, household_id: str, person_key: str) -> bool:
        """Whether the person is or ever was a member of the household."""

    async def set_facts(self, household_id: str, facts: dict[str, Any], *, by: str,
                        at: datetime) -> None: ...

    async def live_certified(self, household_keys: Sequence[str]) -> set[tuple[str, str]]:
        """(household key, program) of the live per-household certifications of these
        households."""


class PolicyDrafts(Protocol):
    """The policy register: drafts, their approval, and the versions published."""

    async def lock_register(self) -> None: ...

    async def add(self, draft: PolicyDraft) -> None:
        """Refused when the program already has a version with this label."""

    async def get(self, version_id: str, *, for_update: bool = False) -> PolicyDraft: ...

    async def publish(self, draft: PolicyDraft) -> None: ...

    async def listed(self, program_code: str | None) -> list[PolicyDraft]: ...

    async def published(self) -> list[PolicyVersion]: ...

    async def keep_published(self, event: PolicyVersionPublished, at: datetime) -> None:
        """Apply the version in this service too (the table every service keeps)."""


class Work(Protocol):
    """A unit of work of eligibility: one transaction over these repositories."""

    @property
    def applications(self) -> Applications: ...

    @property
    def certifications(self) -> Certifications: ...

    @property
    def certification_ends(self) -> CertificationEnds: ...

    @property
    def notices(self) -> Notices: ...

    @property
    def objections(self) -> Objections: ...

    @property
    def community_reviews(self) -> CommunityReviews: ...

    @property
    def survey_imports(self) -> SurveyImports: ...

    @property
    def evidence(self) -> Evidence: ...

    @property
    def deaths(self) -> Deaths: ...

    @property
    def policy_drafts(self) -> PolicyDrafts: ...

    @property
    def households(self) -> Households: ...

    @property
    def terms(self) -> Terms: ...

    @property
    def policies(self) -> PolicyCatalogue: ...

    def now(self) -> datetime: ...

    def today(self) -> date: ...

    @property
    def zone(self) -> tzinfo:
        """The office's time zone: where its days begin."""

    def publish(self, event: Event) -> str: ...
