"""A payment run end to end: certifications from eligibility, accounts over HTTP, the run
over HTTP, fund custody's allocation, the simulated bank's transfers."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from siquan.contracts.oversight_v1 import RunHoldLifted, RunHoldPlaced
from siquan.shared.testing.messages import publish_as, tap
from siquan.shared.testing.waiting import eventually

PERIOD = "2031-05"


async def certified_with_accounts(world: Any, categories: list[str]) -> None:
    for n, category in enumerate(categories, start=1):
        await world.grant(n, category)
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(len(categories))


async def test_a_run_pays_nothing_before_its_allocation_then_pays_each_payee_once(
        world: Any) -> None:
    world.start()
    await certified_with_accounts(world, ["death", "death", "disability"])
    async with tap(world.env, "disbursement") as seen:
        started = await world.start_run(PERIOD)
        assert started.status_code == 201, started.text
        requested = (await seen.wait_for("allocation.requested.v1"))[0].body
        assert (requested["payee_count"], requested["total_fen"]) == (3, 57_000)
        assert (requested["fiscal_year"], requested["period"]) == (2031, PERIOD)
        assert (await seen.wait_for("run.started.v1"))[0].body["skipped"] == []

        run_id = requested["run_id"]
        assert (await world.run(run_id))["status"] == "awaiting_allocation"
        assert await world.bank_transfers() == []
        await world.reject(requested)
        await world.await_status(run_id, "waiting")
        assert await world.bank_transfers() == []

        await world.approve(requested)
        completed = (await seen.wait_for("run.completed.v1"))[0].body
        settled = [p for m in seen.of_type("payments.settled.v1") for p in m.body["payments"]]

    assert (completed["settled_count"], completed["settled_fen"]) == (3, 57_000)
    assert (completed["failed_count"], completed["cancelled_count"]) == (0, 0)
    assert sorted(p["amount_fen"] for p in settled) == [15_000, 21_000, 21_000]
    transfers = await world.bank_transfers()
    assert sorted(t["amount_fen"] for t in transfers) == [15_000, 21_000, 21_000]
    assert {t["payment_id"] for t in transfers} == {p["payment_id"] for p in settled}
    shown = await world.run(run_id)
    assert (shown["status"], shown["counts"]["settled"], shown["counts"]["pending"]) == (
        "completed", 3, 0)


async def test_the_same_allocation_delivered_twice_pays_once(world: Any) -> None:
    world.start()
    await certified_with_accounts(world, ["death", "disability"])
    async with tap(world.env, "disbursement") as seen:
        assert (await world.start_run(PERIOD)).status_code == 201
        requested = (await seen.wait_for("allocation.requested.v1"))[0].body
        message_id = await world.approve(requested, allocation_id="alloc-twice")
        await world.approve(requested, allocation_id="alloc-twice", message_id=message_id)
        await seen.wait_for("run.completed.v1")
        # A redelivery under a new message id is recognised by its allocation id.
        await world.approve(requested, allocation_id="alloc-twice")

        async def all_consumed() -> bool:
            return bool(await world.db_value(
                "SELECT count(*) FROM inbox WHERE message_type = 'allocation.approved.v1'") == 2)
        await eventually(all_consumed, what="both allocation messages consumed")
        completions = seen.of_type("run.completed.v1")
        settled = [p for m in seen.of_type("payments.settled.v1") for p in m.body["payments"]]

    assert len(completions) == 1
    assert completions[0].body["settled_fen"] == 36_000
    transfers = await world.bank_transfers()
    assert len(transfers) == 2 == len({p["payment_id"] for p in settled})


async def test_a_payee_whose_account_the_bank_refuses_is_reported_failed(world: Any) -> None:
    world.start()
    await world.grant(1, "death")
    await world.grant(2, "death")
    assert (await world.register(1)).status_code == 201
    assert (await world.register(2, account="622202000000000000")).status_code == 201
    await world.await_certifications(2)
    async with tap(world.env, "disbursement") as seen:
        assert (await world.start_run(PERIOD)).status_code == 201
        requested = (await seen.wait_for("allocation.requested.v1"))[0].body
        await world.approve(requested)
        completed = (await seen.wait_for("run.completed.v1"))[0].body
        failed = (await seen.wait_for("payments.failed.v1"))[0].body["payments"]

    assert [(f["amount_fen"], f["reason"]) for f in failed] == [(21_000, "invalid account")]
    assert (completed["settled_count"], completed["settled_fen"]) == (1, 21_000)
    assert (completed["failed_count"], completed["failed_fen"]) == (1, 21_000)
    assert Counter(t["outcome"] for t in await world.bank_transfers()) == {
        "settled": 1, "failed": 1}


async def test_a_second_run_for_the_same_period_pays_nobody_twice(world: Any) -> None:
    world.start()
    await world.grant(1)
    await world.grant(2)
    await world.grant(3, "disability")
    for n in (1, 2):
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(3)
    async with tap(world.env, "disbursement") as seen:
        first = (await world.start_run(PERIOD)).json()
        assert [s["reason"] for s in first["skipped"]] == ["no payee account"]
        await world.approve((await seen.wait_for("allocation.requested.v1"))[0].body)
        await seen.wait_for("run.completed.v1")

        assert (await world.register(3)).status_code == 201
        second = await world.start_run(PERIOD)
        assert second.status_code == 201, second.text
        assert second.json()["control_totals"] == {"payee_count": 1, "total_fen": 15_000}
        assert sorted(s["reason"] for s in second.json()["skipped"]) == [
            "already paid for period"] * 2
        await world.approve((await seen.wait_for("allocation.requested.v1", 2))[1].body)
        await seen.wait_for("run.completed.v1", 2)

        third = await world.start_run(PERIOD)

    assert third.status_code == 409 and "already paid for period" in third.text
    assert await world.db_value("SELECT count(*) FROM payment_runs") == 2
    transfers = await world.bank_transfers()
    payees = await world.db_rows("SELECT payment_id::text, person_key FROM payments")
    person_of = {p["payment_id"]: p["person_key"] for p in payees}
    assert len(transfers) == 3
    assert len({person_of[t["payment_id"]] for t in transfers}) == 3


async def test_a_one_off_benefit_is_paid_once_whatever_one_off_period_a_later_run_names(
        world: Any) -> None:
    world.start()
    program = "one_child_parents_reward"
    for n in (1, 2):
        await world.grant(n, "standard", program=program, policy_version="national-2009")
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(2)
    async with tap(world.env, "disbursement") as seen:
        first = await world.start_run("2026-O1", program)
        assert first.status_code == 201, first.text
        assert first.json()["control_totals"] == {"payee_count": 2, "total_fen": 100_000}
        await world.approve((await seen.wait_for("allocation.requested.v1"))[0].body)
        await seen.wait_for("run.completed.v1")
    for period in ("2026-O2", "2027-O1"):
        again = await world.start_run(period, program)
        assert again.status_code == 409, again.text
        assert "2 × a one-off benefit of this program was already paid" in again.text
    assert Counter(t["outcome"] for t in await world.bank_transfers()) == {"settled": 2}


async def test_a_semester_run_pays_each_student_the_amount_of_her_school_level(
        world: Any) -> None:
    world.start()
    program = "girls_scholarship"
    for n, level in ((1, "high_school"), (2, "middle_school")):
        await world.grant(n, level, date(2026, 9, 1), program=program,
                          policy_version="national-2009")
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(2)
    async with tap(world.env, "disbursement") as seen:
        started = await world.start_run("2026-S2", program)
        assert started.status_code == 201, started.text
        assert started.json()["control_totals"] == {"payee_count": 2, "total_fen": 120_000}
        assert started.json()["arrears"] == {"count": 0, "amount_fen": 0}
        await world.approve((await seen.wait_for("allocation.requested.v1"))[0].body)
        completed = (await seen.wait_for("run.completed.v1"))[0].body
    assert (completed["settled_count"], completed["settled_fen"]) == (2, 120_000)
    assert sorted(t["amount_fen"] for t in await world.bank_transfers()) == [40_000, 80_000]
    too_early = await world.start_run("2026-S1", program)
    assert too_early.status_code == 409, too_early.text


async def test_a_run_an_auditor_holds_pays_nothing_until_the_hold_is_lifted(
        world: Any) -> None:
    """Oversight's signed `RunHoldPlaced` keeps the payers off an allocated run while a
    later run is paid; `RunHoldLifted` lets the run pay its unpaid payments once each."""
    world.start()
    await certified_with_accounts(world, ["death", "disability"])
    async with tap(world.env, "disbursement") as seen:
        assert (await world.start_run(PERIOD)).status_code == 201
        held = (await seen.wait_for("allocation.requested.v1"))[0].body
        hold_id = str(uuid.uuid4())
        await publish_as(world.env, RunHoldPlaced(
            hold_id=hold_id, run_id=held["run_id"], reason="suspected duplicate roster",
            evidence=("audit memo 2031-7",), placed_by="auditor-420117-01",
            placed_at=datetime.now(UTC)))

        async def holding() -> list[dict[str, Any]]:
            return list((await world.run(held["run_id"]))["holds"])

        (hold,) = await eventually(holding, what="the run held")
        await world.approve(held)
        await world.await_status(held["run_id"], "allocated")
        assert (await world.start_run("2031-06")).status_code == 201
        later = (await seen.wait_for("allocation.requested.v1", 2))[1].body
        await world.approve(later)
        await world.await_status(later["run_id"], "completed")
        still_held = await world.run(held["run_id"])
        transfers_while_held = await world.bank_transfers()

        await publish_as(world.env, RunHoldLifted(
            hold_id=hold_id, run_id=held["run_id"], reason="roster checked, no duplicate",
            lifted_by="auditor-420117-01", lifted_at=datetime.now(UTC)))
        await world.await_status(held["run_id"], "completed")
        released = await world.run(held["run_id"])

    assert (hold["hold_id"], hold["reason"]) == (hold_id, "suspected duplicate roster")
    assert (still_held["status"], still_held["counts"]["pending"],
            still_held["counts"]["settled"]) == ("allocated", 2, 0)
    assert sorted(t["amount_fen"] for t in transfers_while_held) == [15_000, 21_000]
    assert released["holds"] == []
    assert (released["counts"]["settled"], released["amounts_fen"]["settled"]) == (
        2, held["total_fen"]) == (2, 36_000)
    assert len(await world.bank_transfers()) == 4
