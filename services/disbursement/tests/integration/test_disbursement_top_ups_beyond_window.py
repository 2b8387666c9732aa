"""A retroactive raise reaches further back than the arrears window: the next run tops up
every period earlier runs paid at the old standard since the raise took effect, each a
`topup:<version>` arrear in its own period, while the window still bounds what is paid
late for periods never paid."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from siquan.contracts.eligibility_v1 import PolicyVersionPublished
from siquan.contracts.policy import Citation, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges, amend
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.waiting import eventually

from .conftest import DISBURSER, DIVISION, PROGRAM

pytestmark = pytest.mark.integration
PAID = ("2031-01", "2031-02", "2031-03", "2031-04")
RAISED_FROM = date(2031, 1, 1)


async def _raised(world: Any, death_fen: int) -> None:
    base = seed_catalogue().in_force(PROGRAM, RAISED_FROM, DIVISION)
    changes = PolicyChanges(amounts_fen={"death": death_fen})
    policy = amend(base, changes, version="raise-2031", effective_from=RAISED_FROM,
                   citation=Citation(document="鄂卫健发〔2031〕3号", clause="提标"))
    await publish_as(world.env, PolicyVersionPublished(
        version_id=str(uuid.uuid4()), program_code=PROGRAM, version=policy.version,
        base_version=base.version, effective_from=RAISED_FROM, changes=changes,
        policy=policy, drafted_by="policy-420000-01", approved_by="policy-420000-02",
        published_at=datetime.now(UTC)))

    async def applied() -> bool:
        async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
            found = (await client.get("/policy-catalogue", headers=DISBURSER)).json()
        return any(v["version"] == "raise-2031" for v in found["versions"])
    await eventually(applied, what="the raise applied")


async def test_a_raise_tops_up_periods_older_than_the_arrears_window(world: Any) -> None:
    world.start(arrears_max_periods="1")
    old = seed_catalogue().amount_for(PROGRAM, "death", "2031-01", DIVISION)
    new = old + 4_000
    await world.grant(1, effective_from=date(2030, 12, 1))
    assert (await world.register(1)).status_code == 201
    await world.await_certifications(1)
    async with tap(world.env, "disbursement") as seen:
        for period in PAID:
            started = await world.start_run(period)
            assert started.status_code == 201, started.text
            run_id = started.json()["run_id"]

            async def asked(run_id: str = run_id) -> dict[str, Any] | None:
                return next((m.body for m in seen.of_type("allocation.requested.v1")
                             if m.body["run_id"] == run_id), None)
            await world.approve(await eventually(asked, what=f"allocation for {run_id}"))
            await world.await_status(run_id, "completed")
        await _raised(world, new)
        may = await world.start_run("2031-05")
        assert may.status_code == 201, may.text

    body = may.json()
    # December 2030 was never paid: the window (one period: April) leaves it unpaid.
    assert body["control_totals"]["total_fen"] == new + len(PAID) * (new - old)
    assert body["arrears"] == {"count": len(PAID), "amount_fen": len(PAID) * (new - old)}
    rows = await world.db_rows(
        "SELECT period, item, amount_fen FROM payment_orders WHERE run_id = $1::uuid"
        " ORDER BY period", body["run_id"])
    assert [(r["period"], r["item"], r["amount_fen"]) for r in rows] == [
        *((period, "topup:raise-2031", new - old) for period in PAID),
        ("2031-05", "benefit", new)]
