"""Submit, review and approve: each opens one transaction, loads the aggregate, calls one
domain method, saves it and queues the event in the outbox."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Literal

import asyncpg

from siquan.contracts import eligibility_v1 as events
from siquan.contracts.policy import load_catalogue
from siquan.contracts.types import mask_name, mask_resident_id
from siquan.eligibility.adapters import repository
from siquan.eligibility.domain.application import Application
from siquan.eligibility.domain.errors import InvalidRequest
from siquan.shared.auth import Officer
from siquan.shared.outbox import Outbox
from siquan.shared.person import person_key


def _now() -> datetime:
    return datetime.now(UTC)


async def submit_application(pool: asyncpg.Pool, outbox: Outbox, officer: Officer, *,
                             secret: str, resident_id: str, name: str, program_code: str,
                             category: str, division_code: str, eligible_from: date) -> str:
    officer.check_scope(division_code)
    try:
        load_catalogue().in_force(program_code, eligible_from).benefit(category)
    except KeyError as exc:
        raise InvalidRequest(str(exc.args[0])) from exc
    application = Application(
        id=str(uuid.uuid4()), program_code=program_code, category=category,
        person_key=person_key(secret, resident_id), masked_name=mask_name(name),
        masked_resident_id=mask_resident_id(resident_id), division_code=division_code,
        eligible_from=eligible_from, submitted_by=officer.id, submitted_at=_now())
    async with pool.acquire() as conn, conn.transaction():
        await repository.add_application(conn, application, resident_id)
        await outbox.add(conn, events.ApplicationSubmitted(
            application_id=application.id, program_code=program_code, category=category,
            person_key=application.person_key, masked_name=application.masked_name,
            division_code=division_code, submitted_by=officer.id,
            submitted_at=application.submitted_at))
    return application.id


async def review_application(pool: asyncpg.Pool, outbox: Outbox, officer: Officer,
                             application_id: str, outcome: Literal["approved", "rejected"],
                             reason: str) -> Application:
    async with pool.acquire() as conn, conn.transaction():
        application = await repository.get_application(conn, application_id, for_update=True)
        officer.check_scope(application.division_code)
        application.review(officer.id, outcome, reason, _now())
        await repository.save_application(conn, application)
        await outbox.add(conn, events.ApplicationReviewed(
            application_id=application.id, program_code=application.program_code,
            person_key=application.person_key, division_code=application.division_code,
            outcome=outcome, reason=reason, reviewed_by=officer.id,
            reviewed_at=application.reviewed_at or _now()))
    return application


async def approve_application(pool: asyncpg.Pool, outbox: Outbox, officer: Officer,
                              application_id: str) -> str:
    async with pool.acquire() as conn, conn.transaction():
        application = await repository.get_application(conn, application_id, for_update=True)
        officer.check_scope(application.division_code)
        approved_at = _now()
        application.approve(officer.id, approved_at)
        policy = load_catalogue().in_force(application.program_code, approved_at.date())
        certification_id = str(uuid.uuid4())
        await repository.save_application(conn, application)
        await repository.add_certification(conn, certification_id=certification_id,
                                           application=application,
                                           policy_version=policy.version)
        await outbox.add(conn, events.CertificationGranted(
            certification_id=certification_id, application_id=application.id,
            program_code=application.program_code, category=application.category,
            policy_version=policy.version, person_key=application.person_key,
            masked_name=application.masked_name,
            masked_resident_id=application.masked_resident_id,
            division_code=application.division_code,
            effective_from=application.eligible_from,
            reviewed_by=application.reviewed_by or "", approved_by=officer.id,
            approved_at=approved_at))
    return certification_id
