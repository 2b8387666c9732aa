"""What the rules remember (applications, reviews, certifications and their changes,
deaths, payee accounts, runs), in memory."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from siquan.oversight.adapters.memory.store import MemoryStore, StoredRun
from siquan.oversight.reconciliation.domain.duplicates import AccountUse
from siquan.oversight.reconciliation.domain.entitlement import (
    CaseChange,
    CertificationRecord,
    Change,
    ChangeKind,
    Death,
    with_changes,
)
from siquan.oversight.reconciliation.domain.payments import RunFacts
from siquan.oversight.reconciliation.domain.timeliness import DivisionTimeliness


class MemoryWatched:
    def __init__(self, store: MemoryStore) -> None:
        self._store = store

    def add_application(self, *, application_id: str, program_code: str,
                        division_code: str, submitted_by: str, submitted_at: datetime,
                        message_id: str) -> None:
        rejected = any(r["application_id"] == application_id and r["outcome"] == "rejected"
                       for r in self._store.reviews.values())
        self._store.applications.setdefault(application_id, {
            "program_code": program_code, "division_code": division_code,
            "submitted_at": submitted_at, "message_id": message_id, "rejected": rejected})

    def add_review(self, *, application_id: str, reviewed_by: str, stage: str,
                   outcome: str, message_id: str) -> None:
        self._store.reviews.setdefault(message_id, {
            "application_id": application_id, "reviewed_by": reviewed_by, "stage": stage,
            "outcome": outcome})
        if outcome == "rejected" and application_id in self._store.applications:
            self._store.applications[application_id]["rejected"] = True

    def add_certification(self, cert: CertificationRecord, approved_at: datetime) -> None:
        self._store.watched_certifications.setdefault(cert.certification_id,
                                                      (cert, approved_at))

    def add_change(self, *, certification_id: str, kind: ChangeKind, effective_from: date,
                   message_id: str) -> None:
        self._store.watched_changes.setdefault(
            message_id, (certification_id, Change(kind, effective_from, message_id)))

    def add_case_change(self, *, certification_id: str, effective_from: date,
                        division_code: str, category: str, decided_at: datetime,
                        message_id: str) -> None:
        self._store.watched_case_changes.setdefault(message_id, (
            certification_id, decided_at, CaseChange(effective_from, division_code, category)))

    def add_death(self, death: Death) -> None:
        known = self._store.deaths.get(death.person_key)
        if known is None or death.date_of_death < known.date_of_death:
            self._store.deaths[death.person_key] = death

    def forget_death(self, *, person_key: str, date_of_death: date,
                     certification_ids: Sequence[str], revoked_from: date) -> None:
        known = self._store.deaths.get(person_key)
        if known is not None and known.date_of_death == date_of_death:
            del self._store.deaths[person_key]
        for message_id, (certification_id, change) in list(
                self._store.watched_changes.items()):
            if (certification_id in certification_ids and change.kind == "revoked"
                    and change.effective_from == revoked_from):
                del self._store.watched_changes[message_id]

    def add_payee_account(self, *, person_key: str, registered_by: str,
                          registered_at: datetime, replaces_previous: bool,
                          message_id: str, awaiting_confirmation: bool = False) -> None:
        self._store.payee_accounts.setdefault(message_id, {
            "person_key": person_key, "registered_by": registered_by,
            "registered_at": registered_at, "replaces_previous": replaces_previous,
            "awaiting_confirmation": awaiting_confirmation})

    def add_account_confirmation(self, *, person_key: str, registered_at: datetime,
                                 confirmed_at: datetime, message_id: str) -> None:
        self._store.account_confirmations.setdefault(
            message_id, (person_key, registered_at, confirmed_at))

    def add_run(self, *, run_id: str, program_code: str, period: str, division_code: str,
                message_id: str, started_by: str | None = None,
                started_at: datetime | None = None) -> None:
        run = self._store.watched_runs.setdefault(
            run_id, StoredRun(program_code, period, division_code))
        started = started_by is not None
        run.started_by = run.started_by or started_by
        run.started_at = run.started_at or started_at
        run.started_message = run.started_message or (message_id if started else None)
        run.requested_message = run.requested_message or (None if started else message_id)

    def add_household(self, *, person_key: str, household_key: str,
                      message_id: str) -> None:
        self._store.households[person_key] = household_key

    def add_account_use(self, use: AccountUse, registered_at: datetime) -> None:
        known = self._store.account_uses.get(use.person_key)
        if known is None or registered_at >= known[1]:
            self._store.account_uses[use.person_key] = (use, registered_at)

    async def account_uses(self, fingerprints: Iterable[str]
                           ) -> dict[str, list[AccountUse]]:
        wanted = set(fingerprints)
        found: dict[str, list[AccountUse]] = defaultdict(list)
        for use, _ in sorted(self._store.account_uses.values(), key=lambda u: u[1]):
            if use.fingerprint in wanted:
                found[use.fingerprint].append(replace(
                    use, household_key=self._store.households.get(use.person_key)))
        return dict(found)

    async def household_certifications(self, person_keys: Iterable[str]
                                       ) -> dict[str, list[CertificationRecord]]:
        households = self._store.households
        found: dict[str, list[CertificationRecord]] = {}
        for person in set(person_keys):
            if person not in households:
                continue
            members = {p for p, h in households.items() if h == households[person]}
            found[person] = list(self._with_changes(
                [c for c, _ in self._store.watched_certifications.values()
                 if c.person_key in members]).values())
        return found

    async def township_reviewers(self, application_ids: Iterable[str]
                                 ) -> dict[str, dict[str, str]]:
        wanted = set(application_ids)
        found: dict[str, dict[str, str]] = defaultdict(dict)
        for message_id, review in sorted(self._store.reviews.items()):
            if review["application_id"] in wanted and review["stage"] == "township":
                found[review["application_id"]][review["reviewed_by"]] = message_id
        return dict(found)

    async def payee_registrations(self, person_keys: Iterable[str]
                                  ) -> dict[str, list[tuple[str, str]]]:
        wanted = set(person_keys)
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for message_id, account in sorted(self._store.payee_accounts.items(),
                                          key=lambda kv: kv[1]["registered_at"]):
            if account["person_key"] in wanted:
                found[account["person_key"]].append((account["registered_by"], message_id))
        return dict(found)

    def _with_changes(self, records: list[CertificationRecord]
                      ) -> dict[str, CertificationRecord]:
        changes: dict[str, list[Change]] = defaultdict(list)
        for certification_id, change in self._store.watched_changes.values():
            changes[certification_id].append(change)
        cases: dict[str, list[CaseChange]] = defaultdict(list)
        for certification_id, _, case in sorted(
                self._store.watched_case_changes.values(),
                key=lambda c: (c[2].effective_from, c[1])):
            cases[certification_id].append(case)
        return with_changes(records, changes, cases)

    async def certifications(self, ids: Iterable[str]) -> dict[str, CertificationRecord]:
        wanted = set(ids)
        return self._with_changes([c for c, _ in self._store.watched_certifications.values()
                                   if c.certification_id in wanted])

    async def certifications_of_persons(self, person_keys: Iterable[str]
                                        ) -> dict[str, list[CertificationRecord]]:
        wanted = set(person_keys)
        found: dict[str, list[CertificationRecord]] = defaultdict(list)
        for cert in self._with_changes([c for c, _ in
                                        self._store.watched_certifications.values()
                                        if c.person_key in wanted]).values():
            found[cert.person_key].append(cert)
        return dict(found)

    async def deaths(self, person_keys: Iterable[str]) -> dict[str, Death]:
        return {p: self._store.deaths[p] for p in set(person_keys) if p in self._store.deaths}

    @staticmethod
    def _facts(run_id: str, run: StoredRun) -> RunFacts:
        return RunFacts(run_id, run.started_by, run.started_message, run.started_at)

    async def runs(self, run_ids: Iterable[str]) -> dict[str, RunFacts]:
        return {r: self._facts(r, self._store.watched_runs[r]) for r in set(run_ids)
                if r in self._store.watched_runs}

    async def runs_of(self, program_code: str, period: str, division_code: str
                      ) -> list[RunFacts]:
        return [self._facts(r, run) for r, run in sorted(self._store.watched_runs.items())
                if (run.program_code, run.period, run.division_code)
                == (program_code, period, division_code)]

    async def unswept_periods(self) -> list[tuple[str, str, str]]:
        return sorted({(r.program_code, r.period, r.division_code)
                       for r in self._store.watched_runs.values() if r.swept_at is None},
                      key=lambda k: (k[1], k[0], k[2]))

    async def mark_swept(self, program_code: str, period: str, division_code: str,
                         at: datetime) -> None:
        for run in self._store.watched_runs.values():
            if (run.program_code, run.period, run.division_code) == (
                    program_code, period, division_code) and run.swept_at is None:
                run.swept_at = at

    async def timeliness(self, *, now: datetime, target_days: int, since: datetime,
                         until: datetime, division_prefix: str = "",
                         program_code: str | None = None) -> list[DivisionTimeliness]:
        """Per division and year of submission: applications counted, on time, and the
        message ids of (up to 20 of) the late ones."""
        judged: dict[tuple[str, int], tuple[int, int, list[str]]] = {}
        for application_id, a in self._store.applications.items():
            if a["rejected"] or not since <= a["submitted_at"] < until or not a[
                    "division_code"].startswith(division_prefix) or program_code not in (
                    None, a["program_code"]):
                continue
            approved = min((at for c, at in self._store.watched_certifications.values()
                            if c.application_id == application_id), default=None)
            due = a["submitted_at"] + timedelta(days=target_days)
            on_time = approved is not None and approved <= due
            late = approved > due if approved is not None else due < now
            key = (a["division_code"], a["submitted_at"].year)
            counted, in_time, evidence = judged.get(key, (0, 0, []))
            judged[key] = (counted + (on_time or late), in_time + on_time,
                           evidence + [a["message_id"]] * late)
        return [DivisionTimeliness(division, year, counted, on_time,
                                   tuple(sorted(evidence)[:20]))
                for (division, year), (counted, on_time, evidence) in sorted(judged.items())]
