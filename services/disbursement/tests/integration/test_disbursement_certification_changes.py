"""Eligibility's later decisions about a certification reach the roster: a lapse ends it
from its date, a suspension keeps it out of runs until it is reinstated, a transfer to
another county takes it off the county's runs from the transfer's month."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts.eligibility_v1 import (
    CertificationGranted,
    CertificationLapsed,
    CertificationReinstated,
    CertificationSuspended,
    CertificationTransferred,
)
from siquan.shared.person import person_key
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.waiting import eventually

from .conftest import DIVISION, PROGRAM, SECRET, resident_id


def _change(kind: Any, granted: CertificationGranted, effective_from: date) -> Any:
    return kind(certification_id=granted.certification_id, program_code=granted.program_code,
                person_key=granted.person_key, division_code=granted.division_code,
                effective_from=effective_from, reason="test", decided_by="system")


async def _skipped_reasons(world: Any, period: str) -> dict[str, str]:
    response = await world.start_run(period)
    assert response.status_code == 201, response.text
    return {s["certification_id"]: s["reason"] for s in response.json()["skipped"]}


async def test_a_lapsed_certification_is_not_paid_for_periods_after_its_lapse(
        world: Any) -> None:
    world.start()
    kept, lapsing = await world.grant(1), await world.grant(2)
    for n in (1, 2):
        await world.register(n)
    await world.await_certifications(2)
    await publish_as(world.env, _change(CertificationLapsed, lapsing, date(2031, 2, 1)))

    async def lapse_recorded() -> bool:
        return bool(await world.db_value(
            "SELECT count(*) FROM certification_revocations WHERE certification_id = $1",
            lapsing.certification_id))

    await eventually(lapse_recorded, what="lapse recorded")
    january = (await world.start_run("2031-01")).json()
    march = (await world.start_run("2031-03")).json()
    assert january["control_totals"]["payee_count"] == 2
    # March pays the kept certification for March and, as an arrear, February; the lapsed
    # one is owed nothing from February on.
    assert (march["control_totals"]["payee_count"], march["arrears"]["count"]) == (2, 1)
    assert kept.certification_id not in {s["certification_id"] for s in march["skipped"]}
    paid = await world.db_rows("SELECT certification_id, period FROM payments"
                               " WHERE run_id = $1 ORDER BY period", march["run_id"])
    assert [(p["certification_id"], p["period"]) for p in paid] == [
        (kept.certification_id, "2031-02"), (kept.certification_id, "2031-03")]


async def test_a_suspended_certification_is_skipped_until_reinstated(world: Any) -> None:
    world.start()
    granted = await world.grant(3)
    await world.grant(4)
    for n in (3, 4):
        await world.register(n)
    await world.await_certifications(2)
    await publish_as(world.env, _change(CertificationSuspended, granted, date(2031, 4, 1)))

    async def recorded(table: str) -> bool:
        return bool(await world.db_value(
            f"SELECT count(*) FROM {table} WHERE certification_id = $1",
            granted.certification_id))

    await eventually(lambda: recorded("certification_suspensions"), what="suspension kept")
    skipped = await _skipped_reasons(world, "2031-04")
    assert "on hold" in skipped[granted.certification_id]

    await publish_as(world.env, _change(CertificationReinstated, granted, date(2031, 5, 1)))

    await eventually(lambda: recorded("certification_reinstatements"),
                     what="reinstatement kept")
    may = (await world.start_run("2031-05")).json()
    assert may["control_totals"]["payee_count"] == 2


async def test_a_transfer_ends_the_countys_periods_from_its_month_whatever_arrives_first(
        world: Any) -> None:
    world.start()
    kept = await world.grant(5)
    moving = CertificationGranted(
        certification_id=str(uuid.uuid4()), application_id=str(uuid.uuid4()),
        program_code=PROGRAM, category="death", policy_version="wuhan-2012",
        person_key=person_key(SECRET, resident_id(6)), masked_name="张**",
        masked_resident_id=f"4201**********{resident_id(6)[-4:]}", division_code=DIVISION,
        effective_from=date(2020, 1, 1), reviewed_by="reviewer-420117-01",
        approved_by="approver-420117-01", approved_at=datetime.now(UTC))
    transfer = CertificationTransferred(
        transfer_id=str(uuid.uuid4()), certification_id=moving.certification_id,
        program_code=moving.program_code, category=moving.category,
        person_key=moving.person_key, from_division_code="420117", to_division_code="420102",
        effective_from=date(2031, 3, 1), initiated_by="approver-420117-01",
        accepted_by="approver-420102-01", accepted_at=datetime.now(UTC))
    await publish_as(world.env, transfer)  # before its certification, and twice
    await publish_as(world.env, transfer)
    await publish_as(world.env, moving)
    for n in (5, 6):
        await world.register(n)

    async def spans() -> list[tuple[str, date, date | None]] | None:
        rows = await world.db_rows(
            "SELECT division_code, effective_from, span_until FROM certification_spans"
            " WHERE certification_id = $1 ORDER BY effective_from", moving.certification_id)
        found = [(r["division_code"], r["effective_from"], r["span_until"]) for r in rows]
        return found if len(found) == 2 else None

    assert await eventually(spans, what="the transfer and its certification kept") == [
        ("420117", date(2020, 1, 1), date(2031, 3, 1)), ("420102", date(2031, 3, 1), None)]
    paid: list[tuple[str, str]] = []
    for period in ("2031-01", "2031-02", "2031-03"):
        run = (await world.start_run(period)).json()
        paid += [(p["certification_id"], p["period"]) for p in await world.db_rows(
            "SELECT certification_id, period FROM payments WHERE run_id = $1",
            run["run_id"])]
    # the county pays the months before the move, never the move's month
    assert sorted(p for c, p in paid if c == moving.certification_id) == [
        "2031-01", "2031-02"]
    assert sorted(p for c, p in paid if c == kept.certification_id) == [
        "2031-01", "2031-02", "2031-03"]
    assert await world.db_value(
        "SELECT count(*) FROM certification_changes WHERE certification_id = $1",
        moving.certification_id) == 1
