"""What the bank refuses or sends back, and paying it again once the account is fixed:
failed payments (invalid, frozen accounts), returns days later (by the service's clock),
retry runs with their own allocation, and never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from siquan.shared.clock import FileClock
from siquan.shared.testing.messages import tap
from siquan.shared.testing.waiting import eventually

PERIOD = "2031-05"
GOOD, INVALID, FROZEN, CLOSING = (f"62220200000{n:03d}1234" for n in (1, 2, 3, 4))


async def paid_once(world: Any, seen: Any, requested: dict[str, Any], completions: int
                    ) -> dict[str, Any]:
    await world.approve(requested)
    return (await seen.wait_for("run.completed.v1", completions))[completions - 1].body


async def test_refused_payments_are_retried_once_the_account_is_fixed_and_never_twice(
        world: Any) -> None:
    world.start()
    for n, account in ((1, GOOD), (2, "622202000000020000"), (3, "622202000000030044")):
        await world.grant(n)
        assert (await world.register(n, account=account)).status_code == 201
    await world.await_certifications(3)
    async with tap(world.env, "disbursement") as seen:
        run_id = (await world.start_run(PERIOD)).json()["run_id"]
        first = await paid_once(world, seen, (await seen.wait_for("allocation.requested.v1"))[0]
                                .body, 1)
        failed = (await seen.wait_for("payments.failed.v1"))[0].body["payments"]

        not_fixed = await world.post(f"/runs/{run_id}/retries", {})
        assert (await world.register(2, account="622202000000020001")).status_code == 201
        retry = await world.post(f"/runs/{run_id}/retries", {})
        assert retry.status_code == 201, retry.text
        requested = (await seen.wait_for("allocation.requested.v1", 2))[1].body
        second = await paid_once(world, seen, requested, 2)
        again = await world.post(f"/runs/{run_id}/retries", {})

    assert (first["settled_count"], first["failed_count"]) == (1, 2)
    assert sorted(f["reason"] for f in failed) == ["account frozen", "invalid account"]
    assert not_fixed.status_code == 409 and "account not changed" in not_fixed.text
    body = retry.json()
    assert (body["kind"], body["retry_of"]) == ("retry", run_id)
    assert body["control_totals"] == {"payee_count": 1, "total_fen": 21_000}
    assert [s["reason"] for s in body["skipped"]] == [
        "account not changed since the bank refused or returned the payment"]
    assert [f["person_key"] for f in body["flags"]] == [
        (await world.register(2, account="622202000000020001")).json()["person_key"]]
    assert (requested["run_id"], requested["total_fen"]) == (body["run_id"], 21_000)
    assert (second["settled_count"], second["retry_of"]) == (1, run_id)
    assert again.status_code == 409 and "already paid for period" in again.text
    settled = [t for t in await world.bank_transfers() if t["outcome"] == "settled"]
    assert sorted(t["account_number"] for t in settled) == [GOOD, "622202000000020001"]


async def test_a_payment_returned_days_later_is_announced_once_and_can_be_retried(
        world: Any, tmp_path: Path) -> None:
    clock = FileClock(tmp_path / "clock")
    clock.set(datetime(2031, 5, 20, 9, tzinfo=UTC))
    world.start(clock_file=str(tmp_path / "clock"), returns_poll_seconds="0.2",
                bank_return_days="3")
    await world.grant(1)
    assert (await world.register(1, account="622202000000010088")).status_code == 201
    await world.await_certifications(1)
    async with tap(world.env, "disbursement") as seen:
        run_id = (await world.start_run(PERIOD)).json()["run_id"]
        completed = await paid_once(world, seen, (await seen.wait_for("allocation.requested.v1"))[0]
                                    .body, 1)
        clock.set(datetime(2031, 5, 22, 9, tzinfo=UTC))
        early = await world.run(run_id)
        clock.set(datetime(2031, 5, 23, 9, tzinfo=UTC) + timedelta(minutes=1))
        returned = (await seen.wait_for("payments.returned.v1"))[0].body

        async def shown_returned() -> bool:
            return bool((await world.run(run_id))["returned"]["count"] == 1)
        await eventually(shown_returned, what="the run shows the return")
        assert (await world.register(1, account="622202000000010001")).status_code == 201
        retry = await world.post(f"/runs/{run_id}/retries", {})
        requested = (await seen.wait_for("allocation.requested.v1", 2))[1].body
        await paid_once(world, seen, requested, 2)

    assert (completed["settled_count"], completed["settled_fen"]) == (1, 21_000)
    assert early["returned"]["count"] == 0
    assert (returned["run_id"], returned["chunk"], returned["period"]) == (run_id, 0, PERIOD)
    assert [(p["amount_fen"], p["reason"], p["returned_on"], p["item"])
            for p in returned["payments"]] == [(21_000, "account closed", "2031-05-23",
                                                "benefit")]
    assert len(seen.of_type("payments.returned.v1")) == 1
    assert retry.status_code == 201 and retry.json()["control_totals"]["total_fen"] == 21_000
    statuses = await world.db_rows("SELECT status FROM payments ORDER BY status")
    assert [r["status"] for r in statuses] == ["returned", "settled"]


async def test_a_bank_that_times_out_records_the_batch_and_the_retry_pays_nobody_twice(
        world: Any) -> None:
    world.start(bank_timeout_rate="0.6", payment_chunk_size="2", payment_poll_seconds="0.1")
    for n in range(1, 9):
        await world.grant(n)
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(8)
    async with tap(world.env, "disbursement") as seen:
        assert (await world.start_run(PERIOD)).status_code == 201
        completed = await paid_once(world, seen, (await seen.wait_for("allocation.requested.v1"))
                                    [0].body, 1)

    assert (completed["settled_count"], completed["settled_fen"]) == (8, 8 * 21_000)
    transfers = await world.bank_transfers()
    assert len(transfers) == 8 == len({t["account_number"] for t in transfers})
