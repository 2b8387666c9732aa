"""Arrears (months certified but not yet paid, each paid once whichever run pays it) and
flags (an account changed shortly before a run), as the run's roster freezes them."""

from __future__ import annotations

from datetime import date
from typing import Any

from siquan.shared.testing.messages import tap


async def approve_and_complete(world: Any, seen: Any, count: int) -> dict[str, Any]:
    await world.approve((await seen.wait_for("allocation.requested.v1", count))[count - 1].body)
    return (await seen.wait_for("run.completed.v1", count))[count - 1].body


async def test_months_missed_for_want_of_an_account_are_paid_as_arrears_exactly_once(
        world: Any) -> None:
    world.start()
    await world.grant(1)
    late = await world.grant(2, effective_from=date(2031, 2, 1))
    assert (await world.register(1)).status_code == 201
    await world.await_certifications(2)
    async with tap(world.env, "disbursement") as seen:
        january = (await world.start_run("2031-01")).json()
        await approve_and_complete(world, seen, 1)
        february = (await world.start_run("2031-02")).json()
        await approve_and_complete(world, seen, 2)
        assert (await world.register(2)).status_code == 201
        april = (await world.start_run("2031-04")).json()
        await approve_and_complete(world, seen, 3)
        settled = [p for m in seen.of_type("payments.settled.v1") for p in m.body["payments"]]
        started = seen.of_type("run.started.v1")[2].body

    assert january["control_totals"] == {"payee_count": 1, "total_fen": 21_000}
    assert [s["reason"] for s in february["skipped"]] == ["no payee account"]
    assert april["arrears"] == {"count": 3, "amount_fen": 63_000}
    assert april["control_totals"] == {"payee_count": 5, "total_fen": 105_000}
    assert (started["arrears_count"], started["arrears_fen"]) == (3, 63_000)
    # an item names its period when it is not the run's own (an arrear)
    late_items = sorted((p["period"] or "2031-04", p["item"]) for p in settled
                        if p["certification_id"] == late.certification_id)
    assert late_items == [("2031-02", "arrears:2031-02"), ("2031-03", "arrears:2031-03"),
                          ("2031-04", "benefit")]
    rows = await world.db_rows("SELECT person_key, period, count(*) AS n FROM payments"
                               " WHERE status = 'settled' GROUP BY person_key, period")
    assert all(r["n"] == 1 for r in rows) and len(rows) == 7


async def test_a_run_flags_payees_whose_account_changed_shortly_before_it(world: Any) -> None:
    world.start()
    async with tap(world.env, "disbursement") as seen:
        for n in (1, 2):
            await world.grant(n)
            assert (await world.register(n)).status_code == 201
        changed = await world.register(2, account="622202000000099991")
        await world.await_certifications(2)
        started = (await world.start_run("2031-05")).json()
        event = (await seen.wait_for("run.started.v1"))[0].body
        registered = await seen.wait_for("payee_account.registered.v1", 3)

    shown = await world.run(started["run_id"])
    person = changed.json()["person_key"]
    assert [(f["person_key"], f["reason"]) for f in shown["flags"]] == [
        (person, "payee account changed 0 days before the run")]
    assert [f["person_key"] for f in event["flags"]] == [person]
    assert started["control_totals"]["payee_count"] == 2
    assert [(e.body["replaces_previous"], e.body["previous_registered_at"] is not None)
            for e in registered] == [(False, False), (False, False), (True, True)]
    assert registered[2].body["previous_registered_at"] == registered[1].body["registered_at"]
