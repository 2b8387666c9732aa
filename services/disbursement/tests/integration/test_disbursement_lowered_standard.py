"""A change of category backdated to months already paid at a higher standard, on the real
service: paid January to May at the only child's death standard, the certification is
changed to the disability standard from April in June. April and May were overpaid by the
difference: one receivable (cause `standard_lowered`) of those two differences, recorded
once however often the change arrives; June is paid at the lower standard, and nothing
is topped up or recorded for the months before April."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts.eligibility_v1 import CertificationCategoryChanged
from siquan.contracts.policy import load_catalogue
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.waiting import eventually

from .conftest import DIVISION, PROGRAM

PAID = tuple(f"2031-{m:02d}" for m in range(1, 6))
LOWER_FROM = date(2031, 4, 1)


def owed(category: str, period: str) -> int:
    return load_catalogue().amount_for(PROGRAM, category, period, DIVISION)


async def _paid(world: Any, seen: Any, period: str) -> str:
    started = await world.start_run(period)
    assert started.status_code == 201, started.text
    run_id: str = started.json()["run_id"]

    async def asked() -> dict[str, Any] | None:
        return next((m.body for m in seen.of_type("allocation.requested.v1")
                     if m.body["run_id"] == run_id), None)
    await world.approve(await eventually(asked, what=f"allocation asked for run {run_id}"))
    await world.await_status(run_id, "completed")
    return run_id


async def _settled(world: Any, certification_id: str) -> list[tuple[str, str, int]]:
    rows = await world.db_rows(
        "SELECT period, item, amount_fen FROM payments WHERE certification_id = $1"
        " AND status = 'settled' ORDER BY period, item", certification_id)
    return [(r["period"], r["item"], int(r["amount_fen"])) for r in rows]


async def test_a_backdated_lower_category_makes_the_paid_difference_a_receivable_once(
        world: Any) -> None:
    world.start()
    lowered, kept = await world.grant(1, "death"), await world.grant(2, "death")
    for n in (1, 2):
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(2)
    assert owed("disability", "2031-04") < owed("death", "2031-04")
    async with tap(world.env, "disbursement") as seen:
        for period in PAID:
            await _paid(world, seen, period)
        paid = await world.db_rows(
            "SELECT payment_id::text, period, amount_fen FROM payments"
            " WHERE certification_id = $1 AND status = 'settled'", lowered.certification_id)
        by_period = {r["period"]: r for r in paid}
        assert sorted(by_period) == list(PAID)

        change = CertificationCategoryChanged(
            change_id=str(uuid.uuid4()), certification_id=lowered.certification_id,
            program_code=PROGRAM, person_key=lowered.person_key, division_code=DIVISION,
            from_category="death", to_category="disability", effective_from=LOWER_FROM,
            reason="re-assessed", decided_by="approver-420117-01",
            decided_at=datetime(2031, 6, 5, 9, tzinfo=UTC))
        message_id = await publish_as(world.env, change)
        await publish_as(world.env, change, message_id=message_id)  # redelivered
        [recorded] = await seen.wait_for("overpayment.recorded.v2")

        june = await _paid(world, seen, "2031-06")
        await publish_as(world.env, change)  # sent again after June was paid

        async def handled() -> bool:
            return bool(await world.db_value(
                "SELECT count(*) FROM inbox WHERE message_type ="
                " 'certification.category_changed.v1'") == 2)
        await eventually(handled, what="both deliveries of the change handled")

    body = recorded.body
    difference = {p: owed("death", p) - owed("disability", p) for p in ("2031-04", "2031-05")}
    assert (body["certification_id"], body["cause"], body["ended_from"], body["fiscal_year"]) \
        == (lowered.certification_id, "standard_lowered", "2031-04-01", 2031)
    assert sorted((p["payment_id"], p["period"], p["amount_fen"]) for p in body["payments"]) \
        == sorted((by_period[p]["payment_id"], p, fen) for p, fen in difference.items())
    assert body["total_fen"] == sum(difference.values())
    assert len(seen.of_type("overpayment.recorded.v2")) == 1
    assert await world.db_value("SELECT count(*) FROM receivables") == 1
    assert await world.db_value(
        "SELECT total_fen FROM receivables WHERE receivable_id = $1::text::uuid",
        body["receivable_id"]) == sum(difference.values())

    # June paid at the lower standard; the months paid before stay as they were paid.
    assert await _settled(world, lowered.certification_id) == [
        *((p, "benefit", owed("death", p)) for p in PAID),
        ("2031-06", "benefit", owed("disability", "2031-06"))]
    assert await world.db_value("SELECT count(*) FROM payments WHERE run_id = $1::uuid"
                                " AND certification_id = $2", june,
                                kept.certification_id) == 1
