"""Offsets on the real service: where a published policy version allows it, an overpayment
to a person who died is withheld from the later entitlements of their household — the whole
of one run's entitlement, then part of the next, never more than was overpaid — each
recorded and published once as an offset; a period withheld whole is not paid again, and
nobody outside the household is touched (nor anyone the register names no household for)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from siquan.contracts.eligibility_v1 import CertificationRevoked, PolicyVersionPublished
from siquan.contracts.policy import Citation, load_catalogue, seed_catalogue
from siquan.contracts.policy_versions import PolicyChanges, amend
from siquan.shared.person import household_key, person_key
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.waiting import eventually

from .conftest import DISBURSER, DIVISION, PROGRAM, SECRET, resident_id

pytestmark = pytest.mark.integration
ALLOWED_FROM = date(2031, 4, 1)


async def _offsets_allowed(world: Any) -> None:
    """A small version allowing offsets from April, published by the policy register."""
    base = seed_catalogue().in_force(PROGRAM, ALLOWED_FROM, DIVISION)
    changes = PolicyChanges(offset_allowed=True)
    policy = amend(base, changes, version="offset-2031", effective_from=ALLOWED_FROM,
                   citation=Citation(document="鄂卫健发〔2031〕2号", clause="抵扣"))
    assert policy.offset_allowed and not base.offset_allowed
    await publish_as(world.env, PolicyVersionPublished(
        version_id=str(uuid.uuid4()), program_code=PROGRAM, version=policy.version,
        base_version=base.version, effective_from=ALLOWED_FROM, changes=changes,
        policy=policy, drafted_by="policy-420000-01", approved_by="policy-420000-02",
        published_at=datetime.now(UTC)))

    async def applied() -> bool:
        async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
            found = (await client.get("/policy-catalogue", headers=DISBURSER)).json()
        return any(v["version"] == "offset-2031" for v in found["versions"])
    await eventually(applied, what="the offset version applied")


async def _paid(world: Any, seen: Any, period: str) -> str:
    started = await world.start_run(period)
    assert started.status_code == 201, started.text
    run_id = started.json()["run_id"]

    async def asked() -> dict[str, Any] | None:
        return next((m.body for m in seen.of_type("allocation.requested.v1")
                     if m.body["run_id"] == run_id), None)
    await world.approve(await eventually(asked, what=f"allocation asked for run {run_id}"))
    await world.await_status(run_id, "completed")
    return str(run_id)


async def test_an_overpayment_to_the_dead_is_offset_against_the_household_later(
        world: Any) -> None:
    world.start()
    await _offsets_allowed(world)
    home = household_key(SECRET, "420117000123")
    dead = await world.grant(1, "disability", household_key=home)
    spouse = await world.grant(2, "death", household_key=home)
    await world.grant(3, "death", household_key=household_key(SECRET, "420117000999"))
    await world.grant(4, "death")  # the register names no household
    for n in (1, 2, 3, 4):
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(4)
    catalogue = load_catalogue()

    def owed(category: str, period: str) -> int:
        return catalogue.amount_for(PROGRAM, category, period, DIVISION)

    async def paid_to(n: int, run_id: str) -> list[tuple[str, int]]:
        return [(r["period"], int(r["amount_fen"])) for r in await world.db_rows(
            "SELECT period, amount_fen FROM payments WHERE run_id = $1::uuid"
            " AND person_key = $2 AND status = 'settled' ORDER BY period",
            run_id, person_key(SECRET, resident_id(n)))]

    async with tap(world.env, "disbursement") as seen:
        for period in ("2031-01", "2031-02", "2031-03"):
            await _paid(world, seen, period)
        # The disabled spouse died in January: February and March were paid for nothing.
        await publish_as(world.env, CertificationRevoked(
            certification_id=dead.certification_id, program_code=PROGRAM,
            person_key=dead.person_key, division_code=DIVISION,
            effective_from=date(2031, 2, 1), reason="death", revoked_by="approver-420117-01",
            date_of_death=date(2031, 1, 20)))
        receivable = (await seen.wait_for("overpayment.recorded.v2"))[0].body
        overpaid = owed("disability", "2031-02") + owed("disability", "2031-03")
        assert receivable["total_fen"] == overpaid

        april = await _paid(world, seen, "2031-04")
        may = await _paid(world, seen, "2031-05")
        june = await _paid(world, seen, "2031-06")
        offsets = await seen.wait_for("recovery.recorded.v1", count=2)

    # April's entitlement is withheld whole, May's in part, June's paid in full.
    april_owed, may_owed = owed("death", "2031-04"), owed("death", "2031-05")
    assert overpaid > april_owed
    may_withheld = overpaid - april_owed
    assert await paid_to(2, april) == []
    assert await paid_to(2, may) == [("2031-05", may_owed - may_withheld)]
    assert await paid_to(2, june) == [("2031-06", owed("death", "2031-06"))]
    for run_id, period in ((april, "2031-04"), (may, "2031-05"), (june, "2031-06")):
        for n in (3, 4):
            assert await paid_to(n, run_id) == [(period, owed("death", period))]

    recorded = sorted(((m.body["amount_fen"], m.body["outstanding_fen"], m.body["kind"],
                        m.body["receivable_id"]) for m in offsets), reverse=True)
    assert recorded == [(april_owed, overpaid - april_owed, "offset",
                         receivable["receivable_id"]),
                        (may_withheld, 0, "offset", receivable["receivable_id"])]
    assert len(seen.of_type("recovery.recorded.v1")) == 2
    assert await world.db_value(
        "SELECT sum(offset_fen) FROM entitlement_offsets WHERE receivable_id = $1::uuid",
        receivable["receivable_id"]) == overpaid
    assert [r["certification_id"] for r in await world.db_rows(
        "SELECT DISTINCT certification_id FROM entitlement_offsets")] == [
            spouse.certification_id]
    april_run, may_run = await world.run(april), await world.run(may)
    assert april_run["control_totals"]["total_fen"] == 2 * april_owed  # the neighbours
    assert may_run["control_totals"]["total_fen"] == 3 * may_owed - may_withheld
    assert (april_run["offsets"], may_run["offsets"]) == (
        {"count": 1, "amount_fen": april_owed}, {"count": 1, "amount_fen": may_withheld})

    async with httpx.AsyncClient(base_url=world.url, timeout=30) as client:
        shown = (await client.get(f"/receivables/{receivable['receivable_id']}",
                                  headers=DISBURSER)).json()
    assert (shown["status"], shown["outstanding_fen"]) == ("offset", 0)
