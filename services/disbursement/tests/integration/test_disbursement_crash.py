"""Killed mid-run (SIGKILL), disbursement completes the run with every payee paid exactly
once — restarted, or by a second instance that was paying the same run beside it: the
bank holds one transfer per payment, none for anyone twice, and each chunk is recorded
and announced once."""

from __future__ import annotations

from collections import Counter
from typing import Any

from siquan.shared.testing.messages import tap
from siquan.shared.testing.waiting import eventually

PAYEES = 12


async def settled_count(world: Any) -> int:
    count: int = await world.db_value("SELECT count(*) FROM payments WHERE status = 'settled'")
    return count


async def test_a_run_killed_mid_payment_completes_after_restart_paying_each_once(
        world: Any) -> None:
    world.start(payment_chunk_size="2", bank_latency_ms="300")
    for n in range(1, PAYEES + 1):
        await world.grant(n, "death" if n % 3 else "disability")
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(PAYEES)
    async with tap(world.env, "disbursement") as seen:
        assert (await world.start_run("2031-05")).status_code == 201
        requested = (await seen.wait_for("allocation.requested.v1"))[0].body
        await world.approve(requested)

        async def partly_paid() -> bool:
            return 0 < await settled_count(world) < PAYEES - 2
        await eventually(partly_paid, interval=0.05, what="some but not all payments settled")
        world.process.kill()
        assert 0 < await settled_count(world) < PAYEES
        assert (await world.run_row(requested["run_id"]))["status"] == "allocated"

        world.start()
        completed = (await seen.wait_for("run.completed.v1", timeout=60))[0].body

    assert (completed["settled_count"], completed["settled_fen"]) == (
        PAYEES, requested["total_fen"])
    transfers = await world.bank_transfers()
    payments = await world.db_rows("SELECT payment_id::text, person_key, amount_fen, status"
                                   " FROM payments")
    assert len(transfers) == PAYEES == len({t["payment_id"] for t in transfers})
    assert {t["payment_id"] for t in transfers} == {p["payment_id"] for p in payments}
    assert Counter(p["status"] for p in payments) == {"settled": PAYEES}
    person_of = {p["payment_id"]: p["person_key"] for p in payments}
    assert len({person_of[t["payment_id"]] for t in transfers}) == PAYEES
    assert sum(t["amount_fen"] for t in transfers) == requested["total_fen"]


async def test_two_instances_share_a_run_and_the_survivor_of_a_kill_pays_everyone_once(
        world: Any) -> None:
    first = world.start(payment_chunk_size="2", bank_latency_ms="300", payment_workers="2")
    second = world.start_another()
    for n in range(1, PAYEES + 1):
        await world.grant(n, "death" if n % 3 else "disability")
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(PAYEES)
    async with tap(world.env, "disbursement") as seen:
        assert (await world.start_run("2031-05")).status_code == 201
        requested = (await seen.wait_for("allocation.requested.v1"))[0].body
        await world.approve(requested)

        async def both_paying() -> bool:
            return all("payments finished" in p.log_tail(200) for p in (first, second)) \
                and 0 < await settled_count(world) < PAYEES - 2
        await eventually(both_paying, interval=0.05, what="both instances paying chunks")
        first.kill()
        completed = (await seen.wait_for("run.completed.v1", timeout=60))[0].body
        # a message the killed instance published but had not marked may come again
        chunks = list({m.message_id: m.body
                       for m in seen.of_type("payments.settled.v1")}.values())

    assert (completed["settled_count"], completed["settled_fen"]) == (
        PAYEES, requested["total_fen"])
    transfers = await world.bank_transfers()
    payments = await world.db_rows("SELECT payment_id::text, status FROM payments")
    assert len(transfers) == PAYEES == len({t["payment_id"] for t in transfers})
    assert {t["payment_id"] for t in transfers} == {p["payment_id"] for p in payments}
    assert Counter(p["status"] for p in payments) == {"settled": PAYEES}
    # each chunk was announced once, by whichever instance committed it
    assert sorted(c["chunk"] for c in chunks) == list(range(PAYEES // 2))
    assert sum(len(c["payments"]) for c in chunks) == PAYEES
