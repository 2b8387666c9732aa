"""Fund custody's answers about a run, handled: an approval releases the run (once), one
that does not match is a broken rule, a rejection makes it wait, a late one changes
nothing."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from siquan.contracts.fund_custody_v1 import AllocationRejected, SettlementCompleted
from siquan.disbursement.application import allocations
from siquan.shared.consumer import RuleBroken


def rejection(run: Any) -> AllocationRejected:
    return AllocationRejected(run_id=run.id, program_code=run.program_code,
                              period=run.period, division_code=run.division_code,
                              requested_fen=run.total_fen, available_fen=0,
                              shortfall_fen=run.total_fen, reason="insufficient funds")


async def started_run(world: Any) -> Any:
    await world.payees(2)
    return (await world.start()).run


async def test_an_approval_of_the_control_total_releases_the_run_to_the_payers(
        world: Any) -> None:
    run = await started_run(world)
    uow = world.work()
    await allocations.release_run(world.approval(run), uow)
    await world.finish(uow)
    assert (await world.run(run.id)).status == "allocated"
    assert world.store.notified == [run.id]


async def test_the_same_approval_twice_releases_the_run_once(world: Any) -> None:
    run = await started_run(world)
    await world.allocate(run)
    await world.allocate(run)
    assert world.store.notified == [run.id]


async def test_an_approval_of_another_amount_breaks_a_rule_and_changes_nothing(
        world: Any) -> None:
    run = await started_run(world)
    with pytest.raises(RuleBroken, match="does not match"):
        await world.allocate(replace(run, total_fen=1))
    assert (await world.run(run.id)).status == "awaiting_allocation"
    assert world.store.notified == []


async def test_an_approval_for_an_unknown_run_breaks_a_rule(world: Any) -> None:
    run = await started_run(world)
    with pytest.raises(RuleBroken, match="no payment run"):
        await world.allocate(replace(run, id="7d0c3c4e-0000-4000-8000-000000000000"))


async def test_a_rejection_leaves_the_run_waiting_for_funds(world: Any) -> None:
    run = await started_run(world)
    async with world.units() as uow:
        await allocations.wait_for_funds(rejection(run), uow)
    waiting = await world.run(run.id)
    assert (waiting.status, waiting.rejection_reason) == ("waiting", "insufficient funds")


async def test_a_rejection_arriving_after_the_approval_changes_nothing(world: Any) -> None:
    run = await started_run(world)
    await world.allocate(run)
    async with world.units() as uow:
        await allocations.wait_for_funds(rejection(run), uow)
    assert ((await world.run(run.id)).status,
            (await world.run(run.id)).rejection_reason) == ("allocated", "")


async def test_fund_custodys_settlement_is_recorded_on_the_run(world: Any) -> None:
    run = await started_run(world)
    async with world.units() as uow:
        await allocations.record_settlement(SettlementCompleted(
            run_id=run.id, program_code=run.program_code, period=run.period,
            division_code=run.division_code, reserved_fen=run.total_fen,
            paid_fen=run.total_fen, released_fen=0, available_fen=0), uow)
    assert world.store.runs[run.id].fund_settled_fen == run.total_fen


async def test_a_settlement_for_an_unknown_run_breaks_a_rule(world: Any) -> None:
    with pytest.raises(RuleBroken, match="unknown run"):
        async with world.units() as uow:
            await allocations.record_settlement(SettlementCompleted(
                run_id="nope", program_code=world.program, period=world.period,
                division_code=world.division, reserved_fen=1, paid_fen=1, released_fen=0,
                available_fen=0), uow)
