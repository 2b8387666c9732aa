"""Two eligibility processes over one database and one set of queues, as a deployment
scales out: approvals racing on the two grant each entry once, the deadlines loop that
both run closes each notice once, and a death either process consumes is kept for what
comes after it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import asyncpg
import httpx
import pytest

from siquan.contracts.public_security_v1 import DeathReported
from siquan.shared.clock import FileClock
from siquan.shared.person import person_key
from siquan.shared.testing.environment import TEST_PERSON_KEY_SECRET, Environment
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.processes import ServiceProcess, free_port
from siquan.shared.testing.residents import ResidentFactory
from siquan.shared.testing.waiting import eventually
from siquan.tools.desk import APPROVER, Desk, application

pytestmark = pytest.mark.integration
PEOPLE = ResidentFactory("420117", birth_year=1957)
SECRET = TEST_PERSON_KEY_SECRET


@pytest.fixture(scope="module")
def instances(siquan_env: Environment, clock_path: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    try:
        for n in range(2):
            variables = {**siquan_env.service_env("eligibility", port=free_port()),
                         "SIQUAN_CLOCK_FILE": str(clock_path),
                         "SIQUAN_DEADLINE_CHECK_SECONDS": "0.2"}
            started.append(ServiceProcess("eligibility", variables, Path(
                tmp_path_factory.mktemp(f"logs-{n}"))).start())
        yield started
    finally:
        for process in started:
            process.stop()


@pytest.fixture(scope="module")
async def desks(instances: list[ServiceProcess], clock_path: Path
                ) -> AsyncIterator[tuple[Desk, Desk]]:
    async with httpx.AsyncClient(base_url=instances[0].url, timeout=120.0) as first, \
            httpx.AsyncClient(base_url=instances[1].url, timeout=120.0) as second:
        yield Desk(first, FileClock(clock_path)), Desk(second, FileClock(clock_path))


async def _closings(db: asyncpg.Connection, notice_ids: list[str]) -> int:
    """How many notice.closed events the outbox holds for these notices."""
    count = await db.fetchval(
        "SELECT count(*) FROM outbox WHERE routing_key = 'notice.closed.v1'"
        " AND convert_from(body, 'UTF8')::jsonb->>'notice_id' = ANY($1::text[])", notice_ids)
    return int(count)


async def _due_notice(desk: Desk, count: int) -> tuple[list[str], str]:
    ids = [await desk.submit(PEOPLE.next()) for _ in range(count)]
    notice = await desk.to_notice(ids)
    desk.advance_to(date.fromisoformat(notice["closes_on"]))
    return ids, str(notice["notice_id"])


async def test_two_instances_approving_one_notice_at_once_grant_each_entry_once(
        siquan_env: Environment, desks: tuple[Desk, Desk], db: asyncpg.Connection) -> None:
    ids, notice_id = await _due_notice(desks[0], 12)
    async with tap(siquan_env, "eligibility") as seen:
        answers = await asyncio.gather(*(d.approve_notice(notice_id, expect=None)
                                         for d in desks))
        granted = await seen.wait_for("certification.granted.v1", count=12)
    statuses = sorted(a.status_code for a in answers)
    winner = next(a for a in answers if a.status_code == 200)
    assert statuses == [200, 409]
    assert sorted(c["application_id"] for c in winner.json()["certified"]) == sorted(ids)
    assert sorted(g.body["application_id"] for g in granted) == sorted(ids)
    assert await db.fetchval("SELECT count(*) FROM certifications WHERE application_id ="
                             " ANY($1::uuid[])", ids) == 12
    assert await _closings(db, [notice_id]) == 1


async def test_one_application_approved_on_both_instances_is_certified_once(
        desks: tuple[Desk, Desk], db: asyncpg.Connection) -> None:
    [application_id], _ = await _due_notice(desks[0], 1)
    answers = await asyncio.gather(*(d.call("POST", f"/applications/{application_id}/approve",
                                            APPROVER) for d in desks))
    assert sorted(a.status_code for a in answers) == [200, 409]
    assert await db.fetchval("SELECT count(*) FROM certifications WHERE application_id = $1",
                             uuid.UUID(application_id)) == 1


async def test_both_deadline_loops_close_each_due_notice_once(
        siquan_env: Environment, desks: tuple[Desk, Desk], db: asyncpg.Connection) -> None:
    notices = [(await desks[i % 2].to_notice([await desks[0].submit(PEOPLE.next())]))
               for i in range(4)]
    async with tap(siquan_env, "eligibility") as seen:
        desks[0].advance_to(max(date.fromisoformat(n["closes_on"]) for n in notices))
        closed = await seen.wait_for("notice.closed.v1", count=4)
    ours = {n["notice_id"] for n in notices}
    assert {c.body["notice_id"] for c in closed} >= ours
    assert await _closings(db, list(ours)) == 4


async def test_a_person_reported_dead_cannot_apply_on_either_instance(
        siquan_env: Environment, desks: tuple[Desk, Desk], db: asyncpg.Connection) -> None:
    resident, report_id = PEOPLE.next(), f"PS-{uuid.uuid4()}"
    await publish_as(siquan_env, DeathReported(
        report_id=report_id, person_key=person_key(SECRET, resident),
        date_of_death=date(2026, 1, 20)))

    async def recorded() -> bool:
        return bool(await db.fetchval("SELECT true FROM deaths WHERE report_id = $1",
                                      report_id))

    await eventually(recorded, timeout=30, what="the death recorded")
    answers = [await d.call("POST", "/applications", "clerk-420117-01",
                            json=application(resident)) for d in desks]
    assert [a.status_code for a in answers] == [409, 409]
    assert all("recorded dead (died on 2026-01-20)" in a.text for a in answers)
