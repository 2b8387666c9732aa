"""Disbursement pays a per-household benefit once per household, even when two members of
one household reach it certified: it keeps each certification's household key and skips
the second member with the reason, in this run and in any later one-off run."""

from __future__ import annotations

from collections import Counter
from typing import Any

from siquan.disbursement.domain.roster import HOUSEHOLD_PAID
from siquan.shared.person import person_key
from siquan.shared.testing.messages import tap

from .conftest import SECRET, resident_id

PROGRAM = "one_child_parents_reward"
HOME, OTHER_HOME = "1" * 64, "2" * 64


async def test_two_members_of_a_household_are_paid_a_per_household_benefit_once(
        world: Any) -> None:
    world.start()
    for n, home in ((1, HOME), (2, HOME), (3, OTHER_HOME), (4, None)):
        await world.grant(n, "standard", program=PROGRAM, policy_version="national-2009",
                          household_key=home)
        assert (await world.register(n)).status_code == 201
    await world.await_certifications(4)
    kept = await world.db_rows("SELECT person_key, household_key FROM certifications")
    assert {r["person_key"]: r["household_key"] for r in kept} == {
        person_key(SECRET, resident_id(n)): home
        for n, home in ((1, HOME), (2, HOME), (3, OTHER_HOME), (4, None))}

    async with tap(world.env, "disbursement") as seen:
        started = await world.start_run("2026-O1", PROGRAM)
        assert started.status_code == 201, started.text
        body = started.json()
        assert body["control_totals"]["payee_count"] == 3
        [skip] = body["skipped"]
        assert skip["reason"] == HOUSEHOLD_PAID
        assert skip["person_key"] in {person_key(SECRET, resident_id(n)) for n in (1, 2)}
        await world.approve((await seen.wait_for("allocation.requested.v1"))[0].body)
        await seen.wait_for("run.completed.v1")
    paid = await world.db_rows("SELECT person_key FROM payments WHERE status = 'settled'")
    assert skip["person_key"] not in {r["person_key"] for r in paid}
    assert len(paid) == 3

    again = await world.start_run("2026-O2", PROGRAM)
    assert again.status_code == 409, again.text
    assert f"1 × {HOUSEHOLD_PAID}" in again.text  # the household was paid under O1
    assert Counter(t["outcome"] for t in await world.bank_transfers()) == {"settled": 3}
