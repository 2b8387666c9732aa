"""Eligibility's repositories in memory, and the unit of work over them: the twins of the
PostgreSQL adapters that unit tests run the handlers on. They keep what the handlers rely
on — copies on load (nothing changes until it is saved), NotFound for unknown ids, and
the unique rules of the database (one live application and one live certification per
person and program, one certification per application) as `Refused`, and the
transaction: a unit works on its own copy of the store and writes it back only when it
commits, so a refused command leaves nothing behind. Locks are no-ops, since one test
runs one unit at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from siquan.contracts.eligibility_v1 import PolicyVersionPublished
from siquan.contracts.policy import PolicyCatalogue, PolicyVersion, load_catalogue
from siquan.eligibility.application.ports import (
    DeathCorrection,
    DeathScope,
    EndToAssess,
    Granted,
    Holding,
    NewApplication,
    NewEvidence,
    RecordedDeath,
    Terms,
)
from siquan.eligibility.domain.application import Application, Status
from siquan.eligibility.domain.case_changes import CategoryChange, Transfer
from siquan.eligibility.domain.certification import Certification, Change, renewal_deadline
from siquan.eligibility.domain.death import Death
from siquan.eligibility.domain.errors import NotFound, Refused
from siquan.eligibility.domain.household import applicant_from_id
from siquan.eligibility.domain.household_register import (
    PER_HOUSEHOLD_REFUSAL,
    Household,
    Member,
)
from siquan.eligibility.domain.notice import PublicNotice
from siquan.eligibility.domain.policy_draft import PolicyDraft
from siquan.shared.clock import Clock
from siquan.shared.unit_of_work import Cause, FakeUnitOfWork


@dataclass
class MemoryStore:
    """What eligibility's database would hold."""

    applications: dict[str, Application] = field(default_factory=dict)
    entered: dict[str, NewApplication] = field(default_factory=dict)
    certifications: dict[str, Certification] = field(default_factory=dict)
    granted: dict[str, Granted] = field(default_factory=dict)
    history: list[tuple[str, Change, datetime]] = field(default_factory=list)
    notices: dict[str, PublicNotice] = field(default_factory=dict)
    objections: dict[str, dict[str, Any]] = field(default_factory=dict)
    community_reviews: dict[str, dict[str, Any]] = field(default_factory=dict)
    survey_imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    deaths: dict[str, Death] = field(default_factory=dict)
    death_records: dict[str, RecordedDeath] = field(default_factory=dict)
    """What each death in `deaths` revoked, where it belongs and its correction."""
    death_files: dict[str, dict[str, Any]] = field(default_factory=dict)
    reconfirmations: list[dict[str, Any]] = field(default_factory=list)
    ends: dict[str, tuple[date | None, str | None]] = field(default_factory=dict)
    """Each certification whose end was assessed: its scheduled end and reason."""
    households: dict[str, Household] = field(default_factory=dict)
    """The household register, each with its current members."""
    former_members: set[tuple[str, str]] = field(default_factory=set)
    """(household id, person key) of the members who left."""
    transfers: dict[str, Transfer] = field(default_factory=dict)
    category_changes: dict[str, CategoryChange] = field(default_factory=dict)
    policy_drafts: dict[str, PolicyDraft] = field(default_factory=dict)
    policy_versions: list[PolicyVersion] = field(default_factory=list)
    """The versions published (the `policy_versions` table every service keeps)."""

    def open_objections(self, application_id: str) -> int:
        return sum(o["application_id"] == application_id and o["status"] == "open"
                   for o in self.objections.values())


class MemoryApplications:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store

    def _copy(self, application: Application) -> Application:
        return replace(application, open_objections=self._s.open_objections(application.id))

    async def add(self, new: Sequence[NewApplication]) -> None:
        live = {(a.person_key, a.program_code) for a in self._s.applications.values() if a.live}
        for n in new:
            key = (n.application.person_key, n.application.program_code)
            if key in live or n.application.id in self._s.applications:
                raise Refused("a person in this batch already has a live application or "
                              "certification for its program (entered concurrently)")
            live.add(key)
        for n in new:
            self._s.applications[n.application.id] = replace(n.application)
            self._s.entered[n.application.id] = n

    async def get(self, application_id: str, *, for_update: bool = False) -> Application:
        return (await self.get_many([application_id]))[0]

    async def get_many(self, ids: Sequence[str], *, for_update: bool = False
                       ) -> list[Application]:
        for i in ids:
            if i not in self._s.applications:
                raise NotFound(f"no application {i}")
        return [self._copy(self._s.applications[i]) for i in ids]

    async def find_many(self, ids: Sequence[str], *, for_update: bool = False
                        ) -> dict[str, Application]:
        return {i: self._copy(self._s.applications[i]) for i in ids
                if i in self._s.applications}

    async def notices_of(self, ids: Sequence[str]) -> list[str]:
        found = {a.notice_id for i in ids if (a := self._s.applications.get(i))
                 and a.status == "on_notice" and a.notice_id}
        return sorted(found)

    async def in_notice(self, notice_id: str, status: Status) -> list[Application]:
        return [self._copy(a) for a in sorted(self._s.applications.values(), key=_id)
                if a.notice_id == notice_id and a.status == status]

    async def awaiting_notice(self, program_code: str, division: str, limit: int
                              ) -> list[Application]:
        waiting = [a for a in self._s.applications.values() if a.status == "township_reviewed"
                   and a.program_code == program_code and a.scope.startswith(division)]
        waiting.sort(key=lambda a: (a.submitted_at, a.id))
        return [self._copy(a) for a in waiting[:limit]]

    async def live_of_person(self, person_key: str) -> list[Application]:
        return [self._copy(a) for a in sorted(self._s.applications.values(), key=_id)
                if a.person_key == person_key and a.live]

    async def save(self, applications: Sequence[Application]) -> None:
        for application in applications:
            self._s.applications[application.id] = replace(application)

    async def holdings(self, person_keys: Sequence[str]) -> list[Holding]:
        keys = set(person_keys)
        return [*(Holding(a.person_key, a.program_code, "application", a.id)
                  for a in self._s.applications.values() if a.person_key in keys and a.live),
                *(Holding(c.person_key, c.program_code, "certification", c.id)
                  for c in self._s.certifications.values() if c.person_key in keys and c.live)]

    async def applicants(self, ids: Sequence[str]
                         ) -> dict[str, tuple[date, dict[str, Any] | None]]:
        return {i: (applicant_from_id(self._s.entered[i].resident_id).birth_date,
                    deepcopy(self._s.entered[i].facts)) for i in ids if i in self._s.entered}


class MemoryCertifications:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store

    async def add(self, granted: Sequence[Granted]) -> None:
        live = {(c.person_key, c.program_code) for c in self._s.certifications.values()
                if c.live}
        certified = {c.application_id for c in self._s.certifications.values()}
        households = {(g.household_key, g.certification.program_code)
                      for g in self._s.granted.values() if g.per_household
                      and self._s.certifications[g.certification.id].live}
        for g in granted:
            c = g.certification
            if (c.person_key, c.program_code) in live or c.application_id in certified:
                raise Refused("a person in this batch already holds a live certification "
                              "for the program")
            if g.per_household and (g.household_key, c.program_code) in households:
                raise Refused(f"{c.program_code}: {PER_HOUSEHOLD_REFUSAL}")
            households.add((g.household_key, c.program_code))
            live.add((c.person_key, c.program_code))
            certified.add(c.application_id)
        for g in granted:
            self._s.certifications[g.certification.id] = replace(g.certification)
            self._s.granted[g.certification.id] = g
            if g.ends is not None:
                self._s.ends[g.certification.id] = g.ends

    async def get(self, certification_id: str, *, for_update: bool = False
                  ) -> Certification:
        return (await self.get_many([certification_id]))[0]

    async def get_many(self, ids: Sequence[str], *, for_update: bool = False
                       ) -> list[Certification]:
        for i in ids:
            if i not in self._s.certifications:
                raise NotFound(f"no certification {i}")
        return [replace(self._s.certifications[i]) for i in ids]

    async def live_of_person(self, person_key: str) -> list[Certification]:
        return [replace(c) for c in sorted(self._s.certifications.values(), key=_id)
                if c.person_key == person_key and c.live]

    async def due_to_lapse(self, today: date, grace_days: int,
                           grace_by_program: Mapping[str, int], limit: int
                           ) -> list[Certification]:
        due = [c for c in sorted(self._s.certifications.values(), key=_id) if c.live and
               renewal_deadline(c.valid_until, grace_by_program.get(c.program_code,
                                                                    grace_days)) < today]
        return [replace(c) for c in due[:limit]]

    async def record(self, changed: Sequence[tuple[Certification, Change]], at: datetime
                     ) -> None:
        for certification, change in changed:
            self._s.certifications[certification.id] = replace(certification)
            self._s.history.append((certification.id, change, at))
            if change.kind == "renewed" and change.method and change.valid_until:
                self._s.reconfirmations.append({
                    "certification_id": certification.id, "year": change.valid_until.year,
                    "method": change.method, "evidence_reference": change.evidence_reference,
                    "confirmed_by": change.actor, "confirmed_at": at})


class MemoryCertificationEnds:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store

    def _live(self) -> list[Certification]:
        return [c for c in sorted(self._s.certifications.values(), key=_id) if c.live]

    async def to_assess(self, limit: int) -> list[EndToAssess]:
        found = []
        for c in self._live():
            if c.id not in self._s.ends:
                entered = self._s.entered[c.application_id]
                found.append(EndToAssess(replace(c),
                                         applicant_from_id(entered.resident_id).birth_date,
                                         deepcopy(entered.facts)))
        return found[:limit]

    async def schedule(self, ends: Sequence[tuple[str, date | None, str | None]]) -> None:
        for certification_id, ends_on, reason in ends:
            self._s.ends[certification_id] = (ends_on, reason)

    async def due(self, today: date, limit: int) -> list[tuple[Certification, date, str]]:
        found = []
        for c in self._live():
            ends_on, reason = self._s.ends.get(c.id, (None, None))
            if ends_on is not None and reason is not None and ends_on <= today:
                found.append((replace(c), ends_on, reason))
        return found[:limit]

    async def live_of_program(self, program_code: str, limit: int) -> list[Certification]:
        return [replace(c) for c in self._live() if c.program_code == program_code][:limit]

    async def reassess(self, *, certification_ids: Sequence[str] = (),
                       program_code: str | None = None, person_keys: Sequence[str] = ()
                       ) -> None:
        for c in self._live():
            if (c.id in certification_ids or c.program_code == program_code
                    or c.person_key in person_keys):
                self._s.ends.pop(c.id, None)


class MemoryNotices:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store

    async def add(self, notice: PublicNotice, by: str, at: datetime) -> None:
        self._s.notices[notice.id] = replace(notice)

    async def get(self, notice_id: str, *, for_update: bool = False) -> PublicNotice:
        if notice_id not in self._s.notices:
            raise NotFound(f"no notice {notice_id}")
        return replace(self._s.notices[notice_id])

    async def due(self, today: date, limit: int) -> list[PublicNotice]:
        due = [n for n in self._s.notices.values() if n.status == "open"
               and n.closes_on <= today]
        return [replace(n) for n in sorted(due, key=lambda n: (n.closes_on, n.id))[:limit]]

    async def close(self, notice: PublicNotice) -> list[str]:
        self._s.notices[notice.id] = replace(notice)
        entries = [a for a in self._s.applications.values() if a.notice_id == notice.id]
        for application in entries:
            if application.status == "on_notice":
                application.status = "notice_closed"
        return sorted(a.id for a in entries if self._s.open_objections(a.id))


class MemoryObjections:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store

    async def file(self, complaint_id: str, application_id: str, filed_at: datetime) -> bool:
        if complaint_id in self._s.objections:
            return False
        self._s.objections[complaint_id] = {"application_id": application_id,
                                            "status": "open", "filed_at": filed_at}
        return True

    async def resolve(self, *, complaint_id: str, application_id: str, outcome: str,
                      resolution: str, by: str, at: datetime) -> None:
        known = self._s.objections.setdefault(complaint_id, {
            "application_id": application_id, "filed_at": at})
        known.update(status=outcome, resolution=resolution, resolved_by=by, resolved_at=at)


class MemoryRecords:
    """Community reviews, survey imports and evidence: rows kept as they were added."""

    def __init__(self, table: dict[str, dict[str, Any]], key: str) -> None:
        self._table, self._key = table, key

    async def add(self, **row: Any) -> None:
        self._table[row[self._key]] = row


class MemoryEvidence(MemoryRecords):
    async def on_file(self, application_ids: Sequence[str]
                      ) -> dict[tuple[str, str, str], str]:
        found: dict[tuple[str, str, str], str] = {}
        for row in sorted(self._table.values(), key=lambda r: str(r["evidence_id"])):
            if row["application_id"] in application_ids:
                found.setdefault((row["application_id"], row["kind"], row["sha256"]),
                                 row["evidence_id"])
        return found

    async def add_many(self, rows: Sequence[NewEvidence]) -> None:
        for r in rows:
            await self.add(evidence_id=r.evidence_id, application_id=r.application_id,
                           kind=r.kind, filename=r.filename, content_type=r.content_type,
                           content=r.content, sha256=r.sha256, by=r.by, at=r.at)

    async def kinds_on_file(self, application_ids: Sequence[str]) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for row in self._table.values():
            if row["application_id"] in application_ids:
                found.setdefault(row["application_id"], set()).add(row["kind"])
        return found


class MemoryDeaths:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store

    def _kept(self) -> list[RecordedDeath]:
        return [self._s.death_records.get(report_id)
                or RecordedDeath(death, datetime.min, None, ())
                for report_id, death in self._s.deaths.items()]

    async def record(self, death: Death, at: datetime, *, scope: DeathScope | None = None,
                     revoked: Sequence[str] = ()) -> None:
        if death.report_id in self._s.deaths:
            return
        if scope is None:
            scope = next((d.scope for d in self._kept()
                          if d.death.person_key == death.person_key and d.scope is not None
                          and d.correction is None), None)
        self._s.deaths[death.report_id] = death
        self._s.death_records[death.report_id] = RecordedDeath(death, at, scope,
                                                               tuple(revoked))

    async def of(self, person_keys: Sequence[str]) -> dict[str, date]:
        found: dict[str, date] = {}
        for kept in self._kept():
            death = kept.death
            if death.person_key in person_keys and kept.correction is None:
                known = found.get(death.person_key)
                found[death.person_key] = min(death.date_of_death, known or date.max)
        return found

    async def get(self, report_id: str, *, for_update: bool = False) -> RecordedDeath:
        found = [d for d in self._kept() if d.death.report_id == report_id]
        if not found:
            raise NotFound("no death is recorded under this id")
        return found[0]

    async def of_person(self, person_key: str, *, for_update: bool = False
                        ) -> list[RecordedDeath]:
        return sorted((d for d in self._kept() if d.death.person_key == person_key),
                      key=lambda d: (d.recorded_at, d.death.report_id))

    async def correct(self, report_ids: Sequence[str], correction: DeathCorrection) -> None:
        for kept in self._kept():
            if kept.death.report_id in report_ids and kept.correction is None:
                self._s.death_records[kept.death.report_id] = replace(
                    kept, correction=correction)

    async def listed(self, *, division_prefix: str, died_from: date | None,
                     died_until: date | None, limit: int, offset: int
                     ) -> list[dict[str, Any]]:
        found = sorted(
            (d for d in self._kept() if d.scope is not None
             and (d.scope.township_code or d.scope.division_code).startswith(division_prefix)
             and (died_from is None or d.death.date_of_death >= died_from)
             and (died_until is None or d.death.date_of_death <= died_until)),
            key=lambda d: (d.death.date_of_death, d.recorded_at, d.death.report_id))
        return [{"report_id": d.death.report_id, "source": d.death.source,
                 "date_of_death": d.death.date_of_death,
                 "revoked_certification_ids": list(d.revoked),
                 "corrected": d.correction is not None}
                for d in found[offset:offset + limit]]

    async def known(self, report_ids: Sequence[str]) -> set[str]:
        return set(report_ids) & set(self._s.deaths)

    async def lock_file(self, file_id: str) -> None:
        return None

    async def file_report(self, file_id: str) -> dict[str, Any] | None:
        report = self._s.death_files.get(file_id)
        return deepcopy(report) if report is not None else None

    async def keep_file(self, report: dict[str, Any], *, key_id: str, at: datetime
                        ) -> None:
        if report["file_id"] in self._s.death_files:
            raise Refused(f"death file {report['file_id']} is already kept")
        self._s.death_files[report["file_id"]] = deepcopy(report)


class MemoryHouseholds:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store

    async def add(self, household: Household, resident_ids: dict[str, str], *, by: str,
                  at: datetime) -> None:
        if any(h.household_number == household.household_number
               for h in self._s.households.values()):
            raise Refused("this household register number is registered already")
        self._s.households[household.id] = replace(household, members=())
        for member in household.members:
            await self.add_member(household.id, member, resident_ids[member.person_key],
                                  by=by, at=at)

    async def get(self, household_id: str, *, for_update: bool = False) -> Household:
        if household_id not in self._s.households:
            raise NotFound(f"no household {household_id}")
        return deepcopy(self._s.households[household_id])

    async def by_number(self, household_number: str) -> Household | None:
        return next((deepcopy(h) for h in self._s.households.values()
                     if h.household_number == household_number), None)

    async def of_persons(self, person_keys: Sequence[str]) -> dict[str, Household]:
        return {m.person_key: deepcopy(h) for h in self._s.households.values()
                for m in h.members if m.person_key in person_keys}

    async def add_member(self, household_id: str, member: Member, resident_id: str, *,
                         by: str, at: datetime) -> None:
        household = self._s.households[household_id]
        if any(m.person_key == member.person_key for h in self._s.households.values()
               for m in h.members):
            raise Refused("this person is a member of another household; remove them from "
                          "it first")
        if member.relationship == "head" and any(m.relationship == "head"
                                                 for m in household.members):
            raise Refused("the household has a head already")
        self._s.households[household_id] = replace(
            household, members=(*household.members, member))

    async def remove_member(self, household_id: str, person_key: str, reason: str, *,
                            by: str, at: datetime) -> None:
        household = self._s.households[household_id]
        self._s.households[household_id] = replace(household, members=tuple(
            m for m in household.members if m.person_key != person_key))
        self._s.former_members.add((household_id, person_key))

    async def was_member(self, household_id: str, person_key: str) -> bool:
        household = self._s.households.get(household_id)
        return ((household is not None and household.member(person_key) is not None)
                or (household_id, person_key) in self._s.former_members)

    async def set_facts(self, household_id: str, facts: dict[str, Any], *, by: str,
                        at: datetime) -> None:
        self._s.households[household_id] = replace(self._s.households[household_id],
                                                    facts=deepcopy(facts))

    async def live_certified(self, household_keys: Sequence[str]) -> set[tuple[str, str]]:
        return {(g.household_key, g.certification.program_code)
                for cid, g in self._s.granted.items()
                if g.per_household and g.household_key is not None
                and g.household_key in household_keys and self._s.certifications[cid].live}


class MemoryCaseChanges:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store

    async def latest_change(self, certification_id: str) -> date | None:
        days = [t.effective_from for t in self._s.transfers.values()
                if t.certification_id == certification_id and t.status == "accepted"] + [
            c.effective_from for c in self._s.category_changes.values()
            if c.certification_id == certification_id]
        return max(days, default=None)

    async def add_transfer(self, t: Transfer) -> None:
        if any(o.certification_id == t.certification_id and o.status == "pending"
               for o in self._s.transfers.values()):
            raise Refused(f"certification {t.certification_id} already has a transfer "
                          "pending")
        self._s.transfers[t.id] = replace(t)

    async def transfer(self, transfer_id: str, *, for_update: bool = False) -> Transfer:
        if transfer_id not in self._s.transfers:
            raise NotFound(f"no transfer {transfer_id}")
        return replace(self._s.transfers[transfer_id])

    async def transfers_to(self, county: str, status: str | None) -> list[Transfer]:
        return [replace(t) for t in self._s.transfers.values()
                if (t.to_division_code == county or t.from_division_code.startswith(county))
                and status in (None, t.status)]

    async def decide_transfer(self, t: Transfer) -> None:
        self._s.transfers[t.id] = replace(t)

    async def add_category_change(self, c: CategoryChange) -> None:
        self._s.category_changes[c.id] = replace(c)

    async def moved(self, c: Certification, *, effective_from: date, reason: str, actor: str,
                    at: datetime) -> None:
        self._s.certifications[c.id] = replace(c)  # its county, township and category

    async def applicant(self, application_id: str) -> tuple[str, dict[str, Any] | None]:
        entered = self._s.entered.get(application_id)
        if entered is None:
            raise NotFound(f"no application {application_id}")
        return entered.resident_id, deepcopy(entered.facts)

    async def restate(self, application_id: str, facts: dict[str, Any]) -> None:
        self._s.entered[application_id] = replace(self._s.entered[application_id],
                                                  facts=deepcopy(facts))

    async def restate_household(self, person_keys: Sequence[str], shared: dict[str, Any]
                                ) -> None:
        certified = {c.application_id for c in self._s.certifications.values() if c.live}
        for application_id, entered in list(self._s.entered.items()):
            application = self._s.applications[application_id]
            if (entered.facts is not None and application.person_key in person_keys
                    and (application.live or application_id in certified)):
                await self.restate(application_id, {**entered.facts, **deepcopy(shared)})


class MemoryPolicyDrafts:
    def __init__(self, store: MemoryStore) -> None:
        self._s = store

    async def lock_register(self) -> None:
        return None

    async def add(self, draft: PolicyDraft) -> None:
        if any(d.program_code == draft.program_code and d.version == draft.version
               for d in self._s.policy_drafts.values()):
            raise Refused(f"{draft.program_code} already has a version {draft.version}")
        self._s.policy_drafts[draft.version_id] = deepcopy(draft)

    async def get(self, version_id: str, *, for_update: bool = False) -> PolicyDraft:
        if version_id not in self._s.policy_drafts:
            raise NotFound("no such policy draft")
        return deepcopy(self._s.policy_drafts[version_id])

    async def publish(self, draft: PolicyDraft) -> None:
        self._s.policy_drafts[draft.version_id] = deepcopy(draft)

    async def listed(self, program_code: str | None) -> list[PolicyDraft]:
        return [deepcopy(d) for d in self._s.policy_drafts.values()
                if program_code in (None, d.program_code)]

    async def published(self) -> list[PolicyVersion]:
        return list(self._s.policy_versions)

    async def keep_published(self, event: PolicyVersionPublished, at: datetime) -> None:
        self._s.policy_versions.append(event.policy)


class FakeEligibilityWork(FakeUnitOfWork):
    """Eligibility's unit of work in memory (see `FakeUnitOfWork`): it reads and writes a
    copy of `committed`, which `commit` replaces."""

    def __init__(self, clock: Clock, committed: MemoryStore, *, terms: Terms,
                 policies: PolicyCatalogue | None = None, cause: Cause | None = None) -> None:
        super().__init__(clock, cause)
        self._committed, self.store = committed, deepcopy(committed)
        self.terms = terms
        self.policies = policies or load_catalogue()
        self.applications = MemoryApplications(self.store)
        self.certifications = MemoryCertifications(self.store)
        self.certification_ends = MemoryCertificationEnds(self.store)
        self.notices = MemoryNotices(self.store)
        self.objections = MemoryObjections(self.store)
        self.community_reviews = MemoryRecords(self.store.community_reviews, "review_id")
        self.survey_imports = MemoryRecords(self.store.survey_imports, "import_id")
        self.evidence = MemoryEvidence(self.store.evidence, "evidence_id")
        self.deaths = MemoryDeaths(self.store)
        self.households = MemoryHouseholds(self.store)
        self.case_changes = MemoryCaseChanges(self.store)
        self.policy_drafts = MemoryPolicyDrafts(self.store)

    async def commit(self) -> None:
        await self._finish()
        self._committed.__dict__.update(deepcopy(self.store).__dict__)


def _id(item: Application | Certification) -> str:
    return item.id
