"""Eligibility's later decisions about a certification reach the roster: a lapse ends it
from its date, a suspension keeps it out of runs until it is reinstated."""

from __future__ import annotations

from datetime import date
from typing import Any

from siquan.contracts.eligibility_v1 import (
    CertificationGranted,
    CertificationLapsed,
    CertificationReinstated,
    CertificationSuspended,
)
from siquan.shared.testing.messages import publish_as
from siquan.shared.testing.waiting import eventually


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
