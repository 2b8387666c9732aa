"""The facts the rules remember from eligibility, the partners and disbursement:
applications and their reviews, certifications and their changes, deaths, payee account
registrations and payment runs. Each row keeps the message id that told it, the evidence
a finding cites. Facts are written for the whole batch before its steps read them; each
write keeps the meaning it has alone (first or earliest wins, a repeat changes nothing)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime

import asyncpg

from siquan.oversight.adapters.batching import Writes
from siquan.oversight.reconciliation.adapters import timeliness
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
from siquan.shared.database import Connection

# A rejecting review may be written before its application in one batch: either finds the
# other (the review's update, or the application's look at the reviews written).
_APPLICATION = (
    "INSERT INTO watched_applications (application_id, program_code, division_code,"
    " submitted_by, submitted_at, message_id, rejected) VALUES ($1, $2, $3, $4, $5, $6,"
    " EXISTS (SELECT 1 FROM watched_reviews WHERE application_id = $1"
    "         AND outcome = 'rejected'))"
    " ON CONFLICT (application_id) DO NOTHING")
_REVIEW = (
    "INSERT INTO watched_reviews (message_id, application_id, reviewed_by, stage, outcome)"
    " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
_REJECTED = "UPDATE watched_applications SET rejected = true WHERE application_id = $1"
_CERTIFICATION_ROW = (
    "INSERT INTO watched_certifications (certification_id, application_id, person_key,"
    " program_code, category, division_code, effective_from, reviewed_by, approved_by,"
    " approved_at, message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    " ON CONFLICT (certification_id) DO NOTHING")
_CHANGE = (
    "INSERT INTO watched_changes (message_id, certification_id, kind, effective_from)"
    " VALUES ($1, $2, $3, $4) ON CONFLICT (message_id) DO NOTHING")
_CASE_CHANGE = (
    "INSERT INTO watched_case_changes (message_id, certification_id, effective_from,"
    " division_code, category, decided_at) VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (message_id) DO NOTHING")
_DEATH = (
    "INSERT INTO watched_deaths (person_key, date_of_death, message_id)"
    " VALUES ($1, $2, $3) ON CONFLICT (person_key) DO UPDATE"
    " SET date_of_death = EXCLUDED.date_of_death, message_id = EXCLUDED.message_id"
    " WHERE EXCLUDED.date_of_death < watched_deaths.date_of_death")
_FORGET_DEATH = (
    "DELETE FROM watched_deaths WHERE person_key = $1 AND date_of_death = $2")
_FORGET_REVOCATIONS = (
    "DELETE FROM watched_changes WHERE certification_id = ANY($1::text[])"
    " AND kind = 'revoked' AND effective_from = $2")
_PAYEE_ACCOUNT = (
    "INSERT INTO watched_payee_accounts (message_id, person_key, registered_by,"
    " registered_at, replaces_previous, awaiting_confirmation)"
    " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING")
_ACCOUNT_CONFIRMATION = (
    "INSERT INTO watched_account_confirmations (message_id, person_key, registered_at,"
    " confirmed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
_RUN = (
    "INSERT INTO watched_runs (run_id, program_code, period, division_code, started_by,"
    " started_at, started_message, requested_message)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id) DO UPDATE SET"
    " started_by = coalesce(watched_runs.started_by, EXCLUDED.started_by),"
    " started_at = coalesce(watched_runs.started_at, EXCLUDED.started_at),"
    " started_message = coalesce(watched_runs.started_message, EXCLUDED.started_message),"
    " requested_message = coalesce(watched_runs.requested_message,"
    "                              EXCLUDED.requested_message)")
_HOUSEHOLD = (
    "INSERT INTO watched_households (person_key, household_key, message_id)"
    " VALUES ($1, $2, $3) ON CONFLICT (person_key) DO UPDATE"
    " SET household_key = EXCLUDED.household_key, message_id = EXCLUDED.message_id")
_ACCOUNT_USE = (
    "INSERT INTO watched_account_uses (person_key, account_fingerprint, masked_account,"
    " agent_key, division_code, registered_at, message_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (person_key) DO UPDATE SET"
    " account_fingerprint = EXCLUDED.account_fingerprint,"
    " masked_account = EXCLUDED.masked_account, agent_key = EXCLUDED.agent_key,"
    " division_code = EXCLUDED.division_code, registered_at = EXCLUDED.registered_at,"
    " message_id = EXCLUDED.message_id"
    " WHERE EXCLUDED.registered_at >= watched_account_uses.registered_at")
_CERTIFICATION = ("SELECT certification_id, application_id, person_key, program_code,"
                  " category, division_code, effective_from, reviewed_by, approved_by,"
                  " message_id FROM watched_certifications")
_RUN_FACTS = "SELECT run_id, started_by, started_message, started_at FROM watched_runs"


def _record(row: asyncpg.Record) -> CertificationRecord:
    return CertificationRecord(
        certification_id=row["certification_id"], person_key=row["person_key"],
        program_code=row["program_code"], category=row["category"],
        division_code=row["division_code"], effective_from=row["effective_from"],
        application_id=row["application_id"], reviewed_by=row["reviewed_by"],
        approved_by=row["approved_by"], granted_message=str(row["message_id"]))


def _run(row: asyncpg.Record) -> RunFacts:
    started = row["started_message"]
    return RunFacts(row["run_id"], row["started_by"], str(started) if started else None,
                    row["started_at"])


class PgWatched:
    def __init__(self, conn: Connection, writes: Writes) -> None:
        self._conn, self._writes = conn, writes

    def add_application(self, *, application_id: str, program_code: str,
                        division_code: str, submitted_by: str, submitted_at: datetime,
                        message_id: str) -> None:
        self._writes.add(_APPLICATION, application_id, program_code, division_code,
                         submitted_by, submitted_at, message_id)

    def add_review(self, *, application_id: str, reviewed_by: str, stage: str,
                   outcome: str, message_id: str) -> None:
        self._writes.add(_REVIEW, message_id, application_id, reviewed_by, stage, outcome)
        if outcome == "rejected":
            self._writes.add(_REJECTED, application_id)

    def add_certification(self, cert: CertificationRecord, approved_at: datetime) -> None:
        self._writes.add(_CERTIFICATION_ROW, cert.certification_id, cert.application_id,
                         cert.person_key, cert.program_code, cert.category,
                         cert.division_code, cert.effective_from, cert.reviewed_by,
                         cert.approved_by, approved_at, cert.granted_message)

    def add_change(self, *, certification_id: str, kind: ChangeKind, effective_from: date,
                   message_id: str) -> None:
        self._writes.add(_CHANGE, message_id, certification_id, kind, effective_from)

    def add_case_change(self, *, certification_id: str, effective_from: date,
                        division_code: str, category: str, decided_at: datetime,
                        message_id: str) -> None:
        self._writes.add(_CASE_CHANGE, message_id, certification_id, effective_from,
                         division_code, category, decided_at)

    def add_death(self, death: Death) -> None:
        self._writes.add(_DEATH, death.person_key, death.date_of_death, death.message_id)

    def forget_death(self, *, person_key: str, date_of_death: date,
                     certification_ids: Sequence[str], revoked_from: date) -> None:
        self._writes.add(_FORGET_DEATH, person_key, date_of_death)
        self._writes.add(_FORGET_REVOCATIONS, list(certification_ids), revoked_from)

    def add_payee_account(self, *, person_key: str, registered_by: str,
                          registered_at: datetime, replaces_previous: bool,
                          message_id: str, awaiting_confirmation: bool = False) -> None:
        self._writes.add(_PAYEE_ACCOUNT, message_id, person_key, registered_by,
                         registered_at, replaces_previous, awaiting_confirmation)

    def add_account_confirmation(self, *, person_key: str, registered_at: datetime,
                                 confirmed_at: datetime, message_id: str) -> None:
        self._writes.add(_ACCOUNT_CONFIRMATION, message_id, person_key, registered_at,
                         confirmed_at)

    def add_run(self, *, run_id: str, program_code: str, period: str, division_code: str,
                message_id: str, started_by: str | None = None,
                started_at: datetime | None = None) -> None:
        started = started_by is not None
        self._writes.add(_RUN, run_id, program_code, period, division_code, started_by,
                         started_at, message_id if started else None,
                         None if started else message_id)

    def add_household(self, *, person_key: str, household_key: str,
                      message_id: str) -> None:
        self._writes.add(_HOUSEHOLD, person_key, household_key, message_id)

    def add_account_use(self, use: AccountUse, registered_at: datetime) -> None:
        self._writes.add(_ACCOUNT_USE, use.person_key, use.fingerprint, use.masked_account,
                         use.agent_key, use.division_code, registered_at, use.message_id)

    async def account_uses(self, fingerprints: Iterable[str]
                           ) -> dict[str, list[AccountUse]]:
        rows = await self._conn.fetch(
            "SELECT u.person_key, u.account_fingerprint, u.masked_account, u.agent_key,"
            " u.division_code, u.message_id, h.household_key FROM watched_account_uses u"
            " LEFT JOIN watched_households h USING (person_key)"
            " WHERE u.account_fingerprint = ANY($1::text[])"
            " ORDER BY u.registered_at, u.person_key", list(set(fingerprints)))
        found: dict[str, list[AccountUse]] = defaultdict(list)
        for r in rows:
            found[r["account_fingerprint"]].append(AccountUse(
                r["person_key"], r["account_fingerprint"], r["masked_account"],
                r["division_code"], str(r["message_id"]), r["agent_key"],
                r["household_key"]))
        return dict(found)

    async def household_certifications(self, person_keys: Iterable[str]
                                       ) -> dict[str, list[CertificationRecord]]:
        rows = await self._conn.fetch(
            "SELECT p.person_key AS asked, c.certification_id, c.application_id,"
            " c.person_key, c.program_code, c.category, c.division_code, c.effective_from,"
            " c.reviewed_by, c.approved_by, c.message_id"
            " FROM watched_households p JOIN watched_households m USING (household_key)"
            " JOIN watched_certifications c ON c.person_key = m.person_key"
            " WHERE p.person_key = ANY($1::text[])", list(set(person_keys)))
        records = await self._with_changes(rows)
        found: dict[str, list[CertificationRecord]] = defaultdict(list)
        for r in rows:
            found[r["asked"]].append(records[r["certification_id"]])
        return dict(found)

    async def township_reviewers(self, application_ids: Iterable[str]
                                 ) -> dict[str, dict[str, str]]:
        rows = await self._conn.fetch(
            "SELECT application_id, reviewed_by, message_id FROM watched_reviews"
            " WHERE application_id = ANY($1::text[]) AND stage = 'township'"
            " ORDER BY message_id", list(set(application_ids)))
        found: dict[str, dict[str, str]] = defaultdict(dict)
        for row in rows:
            found[row["application_id"]][row["reviewed_by"]] = str(row["message_id"])
        return dict(found)

    async def payee_registrations(self, person_keys: Iterable[str]
                                  ) -> dict[str, list[tuple[str, str]]]:
        rows = await self._conn.fetch(
            "SELECT person_key, registered_by, message_id FROM watched_payee_accounts"
            " WHERE person_key = ANY($1::text[]) ORDER BY registered_at",
            list(set(person_keys)))
        found: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for row in rows:
            found[row["person_key"]].append((row["registered_by"], str(row["message_id"])))
        return dict(found)

    async def _with_changes(self, rows: Iterable[asyncpg.Record]
                            ) -> dict[str, CertificationRecord]:
        records = [_record(row) for row in rows]
        changes: dict[str, list[Change]] = defaultdict(list)
        for row in await self._conn.fetch(
                "SELECT certification_id, kind, effective_from, message_id"
                " FROM watched_changes WHERE certification_id = ANY($1::text[])"
                " ORDER BY arrival", [r.certification_id for r in records]):
            changes[row["certification_id"]].append(
                Change(row["kind"], row["effective_from"], str(row["message_id"])))
        cases: dict[str, list[CaseChange]] = defaultdict(list)
        for row in await self._conn.fetch(
                "SELECT certification_id, effective_from, division_code, category"
                " FROM watched_case_changes WHERE certification_id = ANY($1::text[])"
                " ORDER BY effective_from, decided_at", [r.certification_id for r in records]):
            cases[row["certification_id"]].append(
                CaseChange(row["effective_from"], row["division_code"], row["category"]))
        return with_changes(records, changes, cases)

    async def certifications(self, ids: Iterable[str]) -> dict[str, CertificationRecord]:
        rows = await self._conn.fetch(
            f"{_CERTIFICATION} WHERE certification_id = ANY($1::text[])", list(set(ids)))
        return await self._with_changes(rows)

    async def certifications_of_persons(self, person_keys: Iterable[str]
                                        ) -> dict[str, list[CertificationRecord]]:
        rows = await self._conn.fetch(f"{_CERTIFICATION} WHERE person_key = ANY($1::text[])",
                                      list(set(person_keys)))
        found: dict[str, list[CertificationRecord]] = defaultdict(list)
        for cert in (await self._with_changes(rows)).values():
            found[cert.person_key].append(cert)
        return dict(found)

    async def deaths(self, person_keys: Iterable[str]) -> dict[str, Death]:
        rows = await self._conn.fetch(
            "SELECT person_key, date_of_death, message_id FROM watched_deaths"
            " WHERE person_key = ANY($1::text[])", list(set(person_keys)))
        return {r["person_key"]: Death(r["person_key"], r["date_of_death"],
                                       str(r["message_id"])) for r in rows}

    async def runs(self, run_ids: Iterable[str]) -> dict[str, RunFacts]:
        rows = await self._conn.fetch(f"{_RUN_FACTS} WHERE run_id = ANY($1::text[])",
                                      list(set(run_ids)))
        return {row["run_id"]: _run(row) for row in rows}

    async def runs_of(self, program_code: str, period: str, division_code: str
                      ) -> list[RunFacts]:
        rows = await self._conn.fetch(
            f"{_RUN_FACTS} WHERE program_code = $1 AND period = $2 AND division_code = $3"
            " ORDER BY started_at NULLS LAST, run_id", program_code, period, division_code)
        return [_run(row) for row in rows]

    async def unswept_periods(self) -> list[tuple[str, str, str]]:
        rows = await self._conn.fetch(
            "SELECT DISTINCT program_code, period, division_code FROM watched_runs"
            " WHERE omission_checked_at IS NULL ORDER BY period, program_code, division_code")
        return [(row["program_code"], row["period"], row["division_code"]) for row in rows]

    async def mark_swept(self, program_code: str, period: str, division_code: str,
                         at: datetime) -> None:
        await self._conn.execute(
            "UPDATE watched_runs SET omission_checked_at = $4 WHERE program_code = $1"
            " AND period = $2 AND division_code = $3 AND omission_checked_at IS NULL",
            program_code, period, division_code, at)

    async def timeliness(self, *, now: datetime, target_days: int, since: datetime,
                         until: datetime, division_prefix: str = "",
                         program_code: str | None = None) -> list[DivisionTimeliness]:
        return await timeliness.by_division(
            self._conn, now=now, target_days=target_days, since=since, until=until,
            division_prefix=division_prefix, program_code=program_code)
