"""The facts the rules remember from eligibility, the partners and disbursement:
applications and their reviews, certifications and their changes, deaths, payee account
registrations and payment runs. Each row keeps the message id that told it, the evidence
a finding cites."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime

import asyncpg

from siquan.oversight.reconciliation.domain.entitlement import (
    CertificationRecord,
    Change,
    ChangeKind,
    Death,
    with_changes,
)
from siquan.oversight.reconciliation.domain.payments import RunFacts
from siquan.shared.database import Connection


async def add_application(conn: Connection, *, application_id: str, program_code: str,
                          division_code: str, submitted_by: str, submitted_at: datetime,
                          message_id: str) -> None:
    await conn.execute(
        "INSERT INTO watched_applications (application_id, program_code, division_code,"
        " submitted_by, submitted_at, message_id) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (application_id) DO NOTHING",
        application_id, program_code, division_code, submitted_by, submitted_at, message_id)


async def add_review(conn: Connection, *, application_id: str, reviewed_by: str, stage: str,
                     outcome: str, message_id: str) -> None:
    await conn.execute(
        "INSERT INTO watched_reviews (message_id, application_id, reviewed_by, stage, outcome)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        message_id, application_id, reviewed_by, stage, outcome)
    if outcome == "rejected":
        await conn.execute("UPDATE watched_applications SET rejected = true"
                           " WHERE application_id = $1", application_id)


async def township_reviewers(conn: Connection, application_id: str) -> dict[str, str]:
    """Officer → message id of each township review of the application."""
    rows = await conn.fetch(
        "SELECT reviewed_by, message_id FROM watched_reviews"
        " WHERE application_id = $1 AND stage = 'township' ORDER BY message_id",
        application_id)
    return {row["reviewed_by"]: str(row["message_id"]) for row in rows}


async def add_certification(conn: Connection, cert: CertificationRecord,
                            approved_at: datetime) -> bool:
    added = await conn.fetchval(
        "INSERT INTO watched_certifications (certification_id, application_id, person_key,"
        " program_code, category, division_code, effective_from, reviewed_by, approved_by,"
        " approved_at, message_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT (certification_id) DO NOTHING RETURNING true",
        cert.certification_id, cert.application_id, cert.person_key, cert.program_code,
        cert.category, cert.division_code, cert.effective_from, cert.reviewed_by,
        cert.approved_by, approved_at, cert.granted_message)
    return bool(added)


async def add_change(conn: Connection, *, certification_id: str, kind: ChangeKind,
                     effective_from: date, message_id: str) -> None:
    await conn.execute(
        "INSERT INTO watched_changes (message_id, certification_id, kind, effective_from)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (message_id) DO NOTHING",
        message_id, certification_id, kind, effective_from)


_CERTIFICATION = ("SELECT certification_id, application_id, person_key, program_code,"
                  " category, division_code, effective_from, reviewed_by, approved_by,"
                  " message_id FROM watched_certifications")


def _record(row: asyncpg.Record) -> CertificationRecord:
    return CertificationRecord(
        certification_id=row["certification_id"], person_key=row["person_key"],
        program_code=row["program_code"], category=row["category"],
        division_code=row["division_code"], effective_from=row["effective_from"],
        application_id=row["application_id"], reviewed_by=row["reviewed_by"],
        approved_by=row["approved_by"], granted_message=str(row["message_id"]))


async def _with_changes(conn: Connection, rows: Iterable[asyncpg.Record]
                        ) -> dict[str, CertificationRecord]:
    records = [_record(row) for row in rows]
    changes: dict[str, list[Change]] = defaultdict(list)
    for row in await conn.fetch(
            "SELECT certification_id, kind, effective_from, message_id FROM watched_changes"
            " WHERE certification_id = ANY($1::text[]) ORDER BY arrival",
            [r.certification_id for r in records]):
        changes[row["certification_id"]].append(
            Change(row["kind"], row["effective_from"], str(row["message_id"])))
    return with_changes(records, changes)


async def certifications(conn: Connection, ids: Iterable[str]
                         ) -> dict[str, CertificationRecord]:
    rows = await conn.fetch(f"{_CERTIFICATION} WHERE certification_id = ANY($1::text[])",
                            list(set(ids)))
    return await _with_changes(conn, rows)


async def certifications_of_person(conn: Connection, person_key: str
                                   ) -> list[CertificationRecord]:
    rows = await conn.fetch(f"{_CERTIFICATION} WHERE person_key = $1", person_key)
    return list((await _with_changes(conn, rows)).values())


async def add_death(conn: Connection, death: Death) -> None:
    """Keep the earliest date of death reported for a person."""
    await conn.execute(
        "INSERT INTO watched_deaths (person_key, date_of_death, message_id)"
        " VALUES ($1, $2, $3) ON CONFLICT (person_key) DO UPDATE"
        " SET date_of_death = EXCLUDED.date_of_death, message_id = EXCLUDED.message_id"
        " WHERE EXCLUDED.date_of_death < watched_deaths.date_of_death",
        death.person_key, death.date_of_death, death.message_id)


async def deaths(conn: Connection, person_keys: Iterable[str]) -> dict[str, Death]:
    rows = await conn.fetch(
        "SELECT person_key, date_of_death, message_id FROM watched_deaths"
        " WHERE person_key = ANY($1::text[])", list(set(person_keys)))
    return {r["person_key"]: Death(r["person_key"], r["date_of_death"], str(r["message_id"]))
            for r in rows}


async def add_payee_account(conn: Connection, *, person_key: str, registered_by: str,
                            registered_at: datetime, replaces_previous: bool,
                            message_id: str) -> None:
    await conn.execute(
        "INSERT INTO watched_payee_accounts (message_id, person_key, registered_by,"
        " registered_at, replaces_previous) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT DO NOTHING",
        message_id, person_key, registered_by, registered_at, replaces_previous)


async def payee_registrations(conn: Connection, person_key: str) -> list[tuple[str, str]]:
    """(registering officer, message id) of every account registration for the person."""
    rows = await conn.fetch(
        "SELECT registered_by, message_id FROM watched_payee_accounts WHERE person_key = $1"
        " ORDER BY registered_at", person_key)
    return [(row["registered_by"], str(row["message_id"])) for row in rows]


async def account_changes_since(conn: Connection, person_keys: Iterable[str],
                                since: datetime) -> dict[str, str]:
    """Person → message id of the latest replacement of their account after `since`."""
    rows = await conn.fetch(
        "SELECT DISTINCT ON (person_key) person_key, message_id FROM watched_payee_accounts"
        " WHERE person_key = ANY($1::text[]) AND replaces_previous AND registered_at >= $2"
        " ORDER BY person_key, registered_at DESC", list(set(person_keys)), since)
    return {row["person_key"]: str(row["message_id"]) for row in rows}


async def add_run(conn: Connection, *, run_id: str, program_code: str, period: str,
                  division_code: str, message_id: str, started_by: str | None = None,
                  started_at: datetime | None = None) -> None:
    """A run disbursement announced: by starting it, or by asking funds for it."""
    started = started_by is not None
    await conn.execute(
        "INSERT INTO watched_runs (run_id, program_code, period, division_code, started_by,"
        " started_at, started_message, requested_message)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id) DO UPDATE SET"
        " started_by = coalesce(watched_runs.started_by, EXCLUDED.started_by),"
        " started_at = coalesce(watched_runs.started_at, EXCLUDED.started_at),"
        " started_message = coalesce(watched_runs.started_message, EXCLUDED.started_message),"
        " requested_message = coalesce(watched_runs.requested_message,"
        "                              EXCLUDED.requested_message)",
        run_id, program_code, period, division_code, started_by, started_at,
        message_id if started else None, None if started else message_id)


def _run(row: asyncpg.Record) -> RunFacts:
    started = row["started_message"]
    return RunFacts(row["run_id"], row["started_by"], str(started) if started else None,
                    row["started_at"])


async def run(conn: Connection, run_id: str) -> RunFacts | None:
    row = await conn.fetchrow("SELECT run_id, started_by, started_message, started_at"
                              " FROM watched_runs WHERE run_id = $1", run_id)
    return _run(row) if row else None


async def runs(conn: Connection, run_ids: Iterable[str]) -> dict[str, RunFacts]:
    rows = await conn.fetch("SELECT run_id, started_by, started_message, started_at"
                            " FROM watched_runs WHERE run_id = ANY($1::text[])",
                            list(set(run_ids)))
    return {row["run_id"]: _run(row) for row in rows}


async def unswept_periods(conn: Connection) -> list[tuple[str, str, str]]:
    """(program, period, county) of runs whose omissions were not yet looked for."""
    rows = await conn.fetch(
        "SELECT DISTINCT program_code, period, division_code FROM watched_runs"
        " WHERE omission_checked_at IS NULL ORDER BY period, program_code, division_code")
    return [(row["program_code"], row["period"], row["division_code"]) for row in rows]


async def runs_of(conn: Connection, program_code: str, period: str, division_code: str
                  ) -> list[RunFacts]:
    rows = await conn.fetch(
        "SELECT run_id, started_by, started_message, started_at FROM watched_runs"
        " WHERE program_code = $1 AND period = $2 AND division_code = $3"
        " ORDER BY started_at NULLS LAST, run_id", program_code, period, division_code)
    return [_run(row) for row in rows]


async def mark_swept(conn: Connection, program_code: str, period: str, division_code: str,
                     at: datetime) -> None:
    await conn.execute(
        "UPDATE watched_runs SET omission_checked_at = $4 WHERE program_code = $1"
        " AND period = $2 AND division_code = $3 AND omission_checked_at IS NULL",
        program_code, period, division_code, at)
